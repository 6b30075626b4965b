import type { Catalogue } from './en';

/** German. */
const de: Catalogue = {
  'subject.none': 'Ihre zurückgehaltenen Nachrichten wurden freigegeben',
  'subject.one': 'Ihre zurückgehaltene Nachricht „{subject}“ wurde freigegeben',
  'subject.oneFollowUp': 'Ihre zurückgehaltene Nachricht „{subject}“ wurde für weitere Empfänger freigegeben',
  'subject.many':
    '{count, plural, one {# Ihrer zurückgehaltenen Nachrichten wurde freigegeben} other {# Ihrer zurückgehaltenen Nachrichten wurden freigegeben}}',
  'subject.manyFollowUp':
    '{count, plural, one {# Ihrer zurückgehaltenen Nachrichten wurde für weitere Empfänger freigegeben} other {# Ihrer zurückgehaltenen Nachrichten wurden für weitere Empfänger freigegeben}}',
  greeting: 'Hallo,',
  'intro.held':
    '{count, plural, one {Eine von Ihnen gesendete Nachricht wurde in der Quarantäne zurückgehalten und ist jetzt freigegeben: Sie wurde an die unten genannten Empfänger zugestellt.} other {# von Ihnen gesendete Nachrichten wurden in der Quarantäne zurückgehalten und sind jetzt freigegeben: Sie wurden an die unten genannten Empfänger zugestellt.}}',
  'intro.followUp':
    '{count, plural, one {Eine von Ihnen gesendete Nachricht, über die wir Sie bereits informiert haben, wurde jetzt auch für weitere Empfänger freigegeben. Diese E-Mail nennt nur die seitdem hinzugekommenen Empfänger.} other {# von Ihnen gesendete Nachrichten, über die wir Sie bereits informiert haben, wurden jetzt auch für weitere Empfänger freigegeben. Diese E-Mail nennt nur die seitdem hinzugekommenen Empfänger.}}',
  'intro.firstListed': 'Die ersten {listed} sind hier aufgeführt.',
  'heading.one': 'Die Nachricht',
  'heading.many': 'Nachricht {index} von {total}',
  'label.subject': 'Betreff',
  'label.originalRecipients': 'Ursprünglich gesendet an',
  'label.releasedTo': 'Freigegeben für',
  'label.releasedToFollowUp': 'Jetzt auch freigegeben für',
  'label.quarantinedAt': 'Zurückgehalten (Quarantäne) am',
  'label.releasedAt': 'Freigegeben am',
  'label.releasedNoLaterThan': 'Spätestens freigegeben am',
  'label.releasedBy': 'Freigegeben von',
  'label.released': 'Freigegeben',
  'label.reason': 'Zurückgehalten durch',
  'value.notKnown': 'unbekannt',
  'value.noSubject': '(kein Betreff)',
  'value.administrator': 'einem Administrator',
  'value.system': 'automatisch durch Microsoft 365',
  'value.listMore': '{list} und {count} weitere',
  'value.quoted': '„{name}“',
  'value.policyNamed': '{kind} {name}',
  'value.policy': 'Richtlinie',
  'type.transportrule': 'eine Nachrichtenflussregel',
  'type.datalossprevention': 'eine DLP-Richtlinie (Verhinderung von Datenverlust)',
  'type.spam': 'den Spamfilter',
  'type.bulk': 'den Filter für Massen-E-Mails',
  'type.phish': 'den Phishingschutz',
  'type.highconfphish': 'den Phishingschutz (hohe Zuverlässigkeit)',
  'type.malware': 'den Schutz vor Schadsoftware',
  'type.spomalware': 'den Schutz vor Schadsoftware (SharePoint, OneDrive oder Teams)',
  'type.filetypeblock': 'einen blockierten Dateityp',
  'type.admintriggered': 'einen Administrator',
  'type.ppi': 'eine Schutzrichtlinie für Prioritätskonten',
  'policyType.exchangetransportrule': 'Nachrichtenflussregel',
  'policyType.datalosspreventionrule': 'DLP-Regel',
  'policyType.hostedcontentfilterpolicy': 'Antispamrichtlinie',
  'policyType.antiphishpolicy': 'Antiphishingrichtlinie',
  'policyType.antimalwarepolicy': 'Antischadsoftwarerichtlinie',
  'policyType.safeattachmentpolicy': 'Richtlinie für sichere Anlagen',
  'more.notListed':
    '{count, plural, one {# weitere freigegebene Nachricht ist in dieser E-Mail nicht aufgeführt.} other {# weitere freigegebene Nachrichten sind in dieser E-Mail nicht aufgeführt.}}',
  why: '{count, plural, one {Sie erhalten diese E-Mail, weil die Nachricht von {sender} gesendet wurde. Sie müssen nichts tun.} other {Sie erhalten diese E-Mail, weil die Nachrichten von {sender} gesendet wurden. Sie müssen nichts tun.}}',
  'value.yourAddress': 'Ihrer Adresse',
  support: 'Fragen? Wenden Sie sich an {contact}.',
  signature: 'E-Mail-Quarantäne {organisation}',
  'signature.noOrganisation': 'E-Mail-Quarantäne',
};

export default de;
