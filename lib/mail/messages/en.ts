/**
 * English: the reference catalogue. Every other language has exactly these keys and placeholders (a test
 * checks it). Messages are ICU MessageFormat: `{count, plural, ...}` picks the language's plural form.
 */
const en = {
  'subject.none': 'Your held messages were released',
  'subject.one': 'Your held message "{subject}" was released',
  'subject.oneFollowUp': 'Your held message "{subject}" was released to more recipients',
  'subject.many':
    '{count, plural, one {# of your held messages was released} other {# of your held messages were released}}',
  'subject.manyFollowUp':
    '{count, plural, one {# of your held messages was released to more recipients} other {# of your held messages were released to more recipients}}',
  greeting: 'Hello,',
  'intro.held':
    '{count, plural, one {A message you sent was held in quarantine and has now been released: it went on to the recipients it was released to, listed below.} other {# messages you sent were held in quarantine and have now been released: they went on to the recipients they were released to, listed below.}}',
  'intro.followUp':
    '{count, plural, one {A message you sent, which we told you about earlier, has now also been released to more recipients. This email names only the recipients it was released to since then.} other {# messages you sent, which we told you about earlier, have now also been released to more recipients. This email names only the recipients they were released to since then.}}',
  'intro.firstListed': 'The first {listed} are listed here.',
  'heading.one': 'The message',
  'heading.many': 'Message {index} of {total}',
  'label.subject': 'Subject',
  'label.originalRecipients': 'Originally sent to',
  'label.releasedTo': 'Released to',
  'label.releasedToFollowUp': 'Now also released to',
  'label.quarantinedAt': 'Held (quarantined) at',
  'label.releasedAt': 'Released at',
  'label.releasedNoLaterThan': 'Released no later than',
  'label.releasedBy': 'Released by',
  'label.released': 'Released',
  'label.reason': 'Held because of',
  'value.notKnown': 'not known',
  'value.noSubject': '(no subject)',
  'value.administrator': 'an administrator',
  'value.administratorThrough': 'an administrator, through {tool}',
  'value.system': 'automatically by Microsoft 365',
  'value.listMore': '{list} and {count} more',
  'value.quoted': '"{name}"',
  'value.policyNamed': '{kind} {name}',
  'value.policy': 'policy',
  'type.transportrule': 'a mail flow rule',
  'type.datalossprevention': 'a data loss prevention (DLP) policy',
  'type.spam': 'spam filtering',
  'type.bulk': 'bulk mail filtering',
  'type.phish': 'phishing protection',
  'type.highconfphish': 'high-confidence phishing protection',
  'type.malware': 'malware protection',
  'type.spomalware': 'malware protection (SharePoint, OneDrive or Teams)',
  'type.filetypeblock': 'a blocked file type',
  'type.admintriggered': 'an administrator',
  'type.ppi': 'a priority account protection policy',
  'policyType.exchangetransportrule': 'mail flow rule',
  'policyType.datalosspreventionrule': 'DLP rule',
  'policyType.hostedcontentfilterpolicy': 'anti-spam policy',
  'policyType.antiphishpolicy': 'anti-phishing policy',
  'policyType.antimalwarepolicy': 'anti-malware policy',
  'policyType.safeattachmentpolicy': 'Safe Attachments policy',
  'more.notListed':
    '{count, plural, one {# more released message is not listed in this email.} other {# more released messages are not listed in this email.}}',
  why: '{count, plural, one {You receive this email because the message was sent from {sender}. Nothing needs to be done.} other {You receive this email because the messages were sent from {sender}. Nothing needs to be done.}}',
  'value.yourAddress': 'your address',
  support: 'Questions? Contact {contact}.',
  signature: '{organisation} mail quarantine',
  'signature.noOrganisation': 'Mail quarantine',
};

export type MessageKey = keyof typeof en;
export type Catalogue = Record<MessageKey, string>;
export default en satisfies Catalogue;
