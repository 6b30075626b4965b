import type { Catalogue } from './en';

/** Polish: plurals one (1), few (2-4, 22-24…), many (5-21, 25…), other (fractions). */
const pl: Catalogue = {
  'subject.none': 'Twoje zatrzymane wiadomości zostały zwolnione',
  'subject.one': 'Twoja zatrzymana wiadomość „{subject}” została zwolniona',
  'subject.oneFollowUp': 'Twoja zatrzymana wiadomość „{subject}” została zwolniona do kolejnych odbiorców',
  'subject.many':
    '{count, plural, one {Zwolniono # Twoją zatrzymaną wiadomość} few {Zwolniono # Twoje zatrzymane wiadomości} many {Zwolniono # Twoich zatrzymanych wiadomości} other {Zwolniono # Twoich zatrzymanych wiadomości}}',
  'subject.manyFollowUp':
    '{count, plural, one {Zwolniono # Twoją zatrzymaną wiadomość do kolejnych odbiorców} few {Zwolniono # Twoje zatrzymane wiadomości do kolejnych odbiorców} many {Zwolniono # Twoich zatrzymanych wiadomości do kolejnych odbiorców} other {Zwolniono # Twoich zatrzymanych wiadomości do kolejnych odbiorców}}',
  greeting: 'Dzień dobry,',
  'intro.held':
    '{count, plural, one {Wysłana przez Ciebie wiadomość została zatrzymana w kwarantannie i właśnie ją zwolniono: trafiła do odbiorców wymienionych poniżej.} few {# wysłane przez Ciebie wiadomości zostały zatrzymane w kwarantannie i właśnie je zwolniono: trafiły do odbiorców wymienionych poniżej.} many {# wysłanych przez Ciebie wiadomości zostało zatrzymanych w kwarantannie i właśnie je zwolniono: trafiły do odbiorców wymienionych poniżej.} other {# wysłanych przez Ciebie wiadomości zostało zatrzymanych w kwarantannie i właśnie je zwolniono: trafiły do odbiorców wymienionych poniżej.}}',
  'intro.followUp':
    '{count, plural, one {Wysłana przez Ciebie wiadomość, o której już informowaliśmy, została teraz zwolniona także do kolejnych odbiorców. Ten e-mail wymienia tylko odbiorców dodanych od tamtej pory.} few {# wysłane przez Ciebie wiadomości, o których już informowaliśmy, zostały teraz zwolnione także do kolejnych odbiorców. Ten e-mail wymienia tylko odbiorców dodanych od tamtej pory.} many {# wysłanych przez Ciebie wiadomości, o których już informowaliśmy, zostało teraz zwolnionych także do kolejnych odbiorców. Ten e-mail wymienia tylko odbiorców dodanych od tamtej pory.} other {# wysłanych przez Ciebie wiadomości, o których już informowaliśmy, zostało teraz zwolnionych także do kolejnych odbiorców. Ten e-mail wymienia tylko odbiorców dodanych od tamtej pory.}}',
  'intro.firstListed': 'Poniżej wymieniono pierwsze {listed}.',
  'heading.one': 'Wiadomość',
  'heading.many': 'Wiadomość {index} z {total}',
  'label.subject': 'Temat',
  'label.originalRecipients': 'Pierwotnie wysłana do',
  'label.releasedTo': 'Zwolniona do',
  'label.releasedToFollowUp': 'Teraz zwolniona także do',
  'label.quarantinedAt': 'Data zatrzymania (kwarantanna)',
  'label.releasedAt': 'Data zwolnienia',
  'label.releasedNoLaterThan': 'Zwolniono najpóźniej',
  'label.releasedBy': 'Kto zwolnił',
  'label.released': 'Sposób zwolnienia',
  'label.reason': 'Powód zatrzymania',
  'value.notKnown': 'nieznane',
  'value.noSubject': '(brak tematu)',
  'value.administrator': 'administrator',
  'value.system': 'automatycznie przez Microsoft 365',
  'value.listMore': '{list} i {count} innych',
  'value.quoted': '„{name}”',
  'value.policyNamed': '{kind} {name}',
  'value.policy': 'zasady',
  'type.transportrule': 'reguła przepływu poczty',
  'type.datalossprevention': 'zasady ochrony przed utratą danych (DLP)',
  'type.spam': 'filtr spamu',
  'type.bulk': 'filtr poczty masowej',
  'type.phish': 'ochrona przed phishingiem',
  'type.highconfphish': 'ochrona przed phishingiem o wysokiej pewności',
  'type.malware': 'ochrona przed złośliwym oprogramowaniem',
  'type.spomalware': 'ochrona przed złośliwym oprogramowaniem (SharePoint, OneDrive lub Teams)',
  'type.filetypeblock': 'zablokowany typ pliku',
  'type.admintriggered': 'administrator',
  'type.ppi': 'zasady ochrony kont priorytetowych',
  'policyType.exchangetransportrule': 'reguła przepływu poczty',
  'policyType.datalosspreventionrule': 'reguła DLP',
  'policyType.hostedcontentfilterpolicy': 'zasady ochrony przed spamem',
  'policyType.antiphishpolicy': 'zasady ochrony przed phishingiem',
  'policyType.antimalwarepolicy': 'zasady ochrony przed złośliwym oprogramowaniem',
  'policyType.safeattachmentpolicy': 'zasady bezpiecznych załączników',
  'more.notListed':
    '{count, plural, one {# kolejna zwolniona wiadomość nie jest wymieniona w tym e-mailu.} few {# kolejne zwolnione wiadomości nie są wymienione w tym e-mailu.} many {# kolejnych zwolnionych wiadomości nie jest wymienionych w tym e-mailu.} other {# kolejnych zwolnionych wiadomości nie jest wymienionych w tym e-mailu.}}',
  why: '{count, plural, one {Otrzymujesz ten e-mail, ponieważ wiadomość została wysłana z adresu {sender}. Nie musisz nic robić.} other {Otrzymujesz ten e-mail, ponieważ wiadomości zostały wysłane z adresu {sender}. Nie musisz nic robić.}}',
  'value.yourAddress': 'Twojego adresu',
  support: 'Pytania? Skontaktuj się z {contact}.',
  signature: 'Kwarantanna poczty {organisation}',
  'signature.noOrganisation': 'Kwarantanna poczty',
};

export default pl;
