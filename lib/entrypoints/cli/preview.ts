import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { systemClock } from '../../core/clock';
import type { Reader } from '../../mail/compose';
import { languageForLocale, LANGUAGES, type Language } from '../../mail/i18n';
import { previewFiles, sampleNotification } from './preview-files';
import { ianaTimeZone } from '../../mail/time-zones';
import { readerDefaults, readerSettingsFor } from '../../sources/mailbox-settings';
import { notificationForRelease } from './preview-release';
import { EXIT, type CliRun } from './context';

interface PreviewOptions {
  language?: string;
  allLanguages?: boolean;
  timeZone?: string;
  out: string;
  release?: string;
}

/** `preview`: the notification senders will get, written as .eml and .html files. */
export function registerPreview(program: Command, run: CliRun): void {
  program
    .command('preview')
    .description(
      'Write the notification senders will get (a sample release, or a real one) as .eml and .html.',
    )
    .option(
      '--language <language>',
      `one of ${LANGUAGES.join(', ')} (default: the sender's own, else EMAIL_DEFAULT_LANGUAGE)`,
    )
    .option('--all-languages', 'one email per language')
    .option('--time-zone <zone>', 'an IANA or Windows time zone (default: EMAIL_DEFAULT_TIME_ZONE)')
    .option('--out <dir>', 'the folder to write to', 'qrn-preview')
    .option('--release <networkMessageId>', 'a real release from the releases table instead of the sample')
    .addHelpText(
      'after',
      `
Examples:
  qrn preview                       the sample in the default language, in ./qrn-preview
  qrn preview --language de --time-zone "W. Europe Standard Time"
  qrn preview --all-languages --out previews
  qrn preview --release 7a1c…       a pending release, in its sender's own language

Nothing is sent. Open the .eml files in Outlook (or any mail program) and the .html files in a browser.`,
    )
    .action(async (options: PreviewOptions) => {
      const settings = run.settings();
      const now = (run.io.overrides?.clock ?? systemClock).now();
      const defaults = readerDefaults(settings);
      let language: Language | undefined;
      if (options.language !== undefined) {
        language = languageForLocale(options.language);
        if (!language) {
          run.err(`--language must be one of ${LANGUAGES.join(', ')}; got "${options.language}".\n`);
          run.exitCode = EXIT.usage;
          return;
        }
      }
      let timeZone: string | undefined;
      if (options.timeZone !== undefined) {
        timeZone = ianaTimeZone(options.timeZone);
        if (!timeZone) {
          run.err(`--time-zone "${options.timeZone}" is not a known IANA or Windows time zone.\n`);
          run.exitCode = EXIT.usage;
          return;
        }
      }

      let notification = sampleNotification(now, settings.acceptedDomains?.[0]);
      let senderReader: Reader | undefined;
      if (options.release) {
        const app = await run.openApplication();
        const found = await notificationForRelease(app, options.release);
        if (!found) {
          run.err(`No release of message ${options.release} with a known sender is in the releases table.\n`);
          run.exitCode = EXIT.failed;
          return;
        }
        notification = found;
        if (!language || !timeZone) {
          const readers = await readerSettingsFor(
            { graph: app.graph, state: app.state, clock: app.clock, logger: run.logger(), defaults },
            [found.sender],
          );
          senderReader = readers.get(found.sender.toLowerCase());
        }
      }

      const languages: Language[] = options.allLanguages
        ? LANGUAGES
        : [language ?? senderReader?.language ?? defaults.language];
      mkdirSync(options.out, { recursive: true });
      for (const each of languages) {
        const reader: Reader = {
          ...(senderReader && senderReader.language === each ? senderReader : {}),
          language: each,
          timeZone: timeZone ?? senderReader?.timeZone ?? defaults.timeZone,
        };
        const files = previewFiles(notification, settings.email, reader, now);
        const base = path.join(options.out, `notification-${each}`);
        writeFileSync(`${base}.eml`, files.eml);
        writeFileSync(`${base}.html`, files.html);
        run.out(`${base}.eml\n${base}.html\n`);
      }
    });
}
