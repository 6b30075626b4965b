import type { Catalogue } from './en';

/** Dutch. */
const nl: Catalogue = {
  'subject.none': 'Je tegengehouden berichten zijn vrijgegeven',
  'subject.one': 'Je tegengehouden bericht ‘{subject}’ is vrijgegeven',
  'subject.oneFollowUp': 'Je tegengehouden bericht ‘{subject}’ is vrijgegeven voor meer ontvangers',
  'subject.many':
    '{count, plural, one {# van je tegengehouden berichten is vrijgegeven} other {# van je tegengehouden berichten zijn vrijgegeven}}',
  'subject.manyFollowUp':
    '{count, plural, one {# van je tegengehouden berichten is vrijgegeven voor meer ontvangers} other {# van je tegengehouden berichten zijn vrijgegeven voor meer ontvangers}}',
  greeting: 'Hallo,',
  'intro.held':
    '{count, plural, one {Een bericht dat je hebt verzonden, is in quarantaine tegengehouden en nu vrijgegeven: het is bezorgd bij de ontvangers hieronder.} other {# berichten die je hebt verzonden, zijn in quarantaine tegengehouden en nu vrijgegeven: ze zijn bezorgd bij de ontvangers hieronder.}}',
  'intro.followUp':
    '{count, plural, one {Een bericht dat je hebt verzonden en waarover we je eerder hebben ingelicht, is nu ook vrijgegeven voor meer ontvangers. Deze e-mail noemt alleen de ontvangers die sindsdien zijn toegevoegd.} other {# berichten die je hebt verzonden en waarover we je eerder hebben ingelicht, zijn nu ook vrijgegeven voor meer ontvangers. Deze e-mail noemt alleen de ontvangers die sindsdien zijn toegevoegd.}}',
  'intro.firstListed': 'De eerste {listed} staan hier.',
  'heading.one': 'Het bericht',
  'heading.many': 'Bericht {index} van {total}',
  'label.subject': 'Onderwerp',
  'label.originalRecipients': 'Oorspronkelijk verzonden aan',
  'label.releasedTo': 'Vrijgegeven voor',
  'label.releasedToFollowUp': 'Nu ook vrijgegeven voor',
  'label.quarantinedAt': 'Tegengehouden (quarantaine) op',
  'label.releasedAt': 'Vrijgegeven op',
  'label.releasedNoLaterThan': 'Uiterlijk vrijgegeven op',
  'label.releasedBy': 'Vrijgegeven door',
  'label.released': 'Vrijgegeven',
  'label.reason': 'Tegengehouden door',
  'value.notKnown': 'onbekend',
  'value.noSubject': '(geen onderwerp)',
  'value.administrator': 'een beheerder',
  'value.system': 'automatisch door Microsoft 365',
  'value.listMore': '{list} en nog {count}',
  'value.quoted': '‘{name}’',
  'value.policyNamed': '{kind} {name}',
  'value.policy': 'beleid',
  'type.transportrule': 'een e-mailstroomregel',
  'type.datalossprevention': 'een DLP-beleid (preventie van gegevensverlies)',
  'type.spam': 'het spamfilter',
  'type.bulk': 'het filter voor bulkmail',
  'type.phish': 'de phishingbeveiliging',
  'type.highconfphish': 'de phishingbeveiliging (hoge betrouwbaarheid)',
  'type.malware': 'de malwarebeveiliging',
  'type.spomalware': 'de malwarebeveiliging (SharePoint, OneDrive of Teams)',
  'type.filetypeblock': 'een geblokkeerd bestandstype',
  'type.admintriggered': 'een beheerder',
  'type.ppi': 'een beveiligingsbeleid voor prioriteitsaccounts',
  'policyType.exchangetransportrule': 'e-mailstroomregel',
  'policyType.datalosspreventionrule': 'DLP-regel',
  'policyType.hostedcontentfilterpolicy': 'antispambeleid',
  'policyType.antiphishpolicy': 'antiphishingbeleid',
  'policyType.antimalwarepolicy': 'antimalwarebeleid',
  'policyType.safeattachmentpolicy': 'beleid voor veilige bijlagen',
  'more.notListed':
    '{count, plural, one {Nog # vrijgegeven bericht staat niet in deze e-mail.} other {Nog # vrijgegeven berichten staan niet in deze e-mail.}}',
  why: '{count, plural, one {Je ontvangt deze e-mail omdat het bericht is verzonden vanaf {sender}. Je hoeft niets te doen.} other {Je ontvangt deze e-mail omdat de berichten zijn verzonden vanaf {sender}. Je hoeft niets te doen.}}',
  'value.yourAddress': 'je adres',
  support: 'Vragen? Neem contact op met {contact}.',
  signature: 'E-mailquarantaine van {organisation}',
  'signature.noOrganisation': 'E-mailquarantaine',
};

export default nl;
