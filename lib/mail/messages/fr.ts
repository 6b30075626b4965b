import type { Catalogue } from './en';

/** French. */
const fr: Catalogue = {
  'subject.none': 'Vos messages retenus ont été libérés',
  'subject.one': 'Votre message retenu « {subject} » a été libéré',
  'subject.oneFollowUp': 'Votre message retenu « {subject} » a été libéré pour d’autres destinataires',
  'subject.many':
    '{count, plural, one {# de vos messages retenus a été libéré} other {# de vos messages retenus ont été libérés}}',
  'subject.manyFollowUp':
    '{count, plural, one {# de vos messages retenus a été libéré pour d’autres destinataires} other {# de vos messages retenus ont été libérés pour d’autres destinataires}}',
  greeting: 'Bonjour,',
  'intro.held':
    '{count, plural, one {Un message que vous avez envoyé a été retenu en quarantaine et vient d’être libéré : il a été remis aux destinataires indiqués ci-dessous.} other {# messages que vous avez envoyés ont été retenus en quarantaine et viennent d’être libérés : ils ont été remis aux destinataires indiqués ci-dessous.}}',
  'intro.followUp':
    '{count, plural, one {Un message que vous avez envoyé, et dont nous vous avons déjà informé, vient aussi d’être libéré pour d’autres destinataires. Cet e-mail ne cite que les destinataires ajoutés depuis.} other {# messages que vous avez envoyés, et dont nous vous avons déjà informé, viennent aussi d’être libérés pour d’autres destinataires. Cet e-mail ne cite que les destinataires ajoutés depuis.}}',
  'intro.firstListed': 'Les {listed} premiers sont listés ici.',
  'heading.one': 'Le message',
  'heading.many': 'Message {index} sur {total}',
  'label.subject': 'Objet',
  'label.originalRecipients': 'Envoyé à l’origine à',
  'label.releasedTo': 'Libéré pour',
  'label.releasedToFollowUp': 'Désormais aussi libéré pour',
  'label.quarantinedAt': 'Retenu (en quarantaine) le',
  'label.releasedAt': 'Libéré le',
  'label.releasedNoLaterThan': 'Libéré au plus tard le',
  'label.releasedBy': 'Libéré par',
  'label.released': 'Libéré',
  'label.reason': 'Retenu par',
  'value.notKnown': 'inconnu',
  'value.noSubject': '(sans objet)',
  'value.administrator': 'un administrateur',
  'value.system': 'automatiquement par Microsoft 365',
  'value.listMore': '{list} et {count} autres',
  'value.quoted': '« {name} »',
  'value.policyNamed': '{kind} {name}',
  'value.policy': 'stratégie',
  'type.transportrule': 'une règle de flux de messagerie',
  'type.datalossprevention': 'une stratégie de protection contre la perte de données (DLP)',
  'type.spam': 'le filtrage du courrier indésirable',
  'type.bulk': 'le filtrage du courrier en nombre',
  'type.phish': 'la protection contre l’hameçonnage',
  'type.highconfphish': 'la protection contre l’hameçonnage à haut niveau de confiance',
  'type.malware': 'la protection contre les programmes malveillants',
  'type.spomalware': 'la protection contre les programmes malveillants (SharePoint, OneDrive ou Teams)',
  'type.filetypeblock': 'un type de fichier bloqué',
  'type.admintriggered': 'un administrateur',
  'type.ppi': 'une stratégie de protection des comptes prioritaires',
  'policyType.exchangetransportrule': 'règle de flux de messagerie',
  'policyType.datalosspreventionrule': 'règle DLP',
  'policyType.hostedcontentfilterpolicy': 'stratégie anti-spam',
  'policyType.antiphishpolicy': 'stratégie anti-hameçonnage',
  'policyType.antimalwarepolicy': 'stratégie anti-programme malveillant',
  'policyType.safeattachmentpolicy': 'stratégie Pièces jointes fiables',
  'more.notListed':
    '{count, plural, one {# autre message libéré n’est pas listé dans cet e-mail.} other {# autres messages libérés ne sont pas listés dans cet e-mail.}}',
  why: '{count, plural, one {Vous recevez cet e-mail parce que le message a été envoyé depuis {sender}. Vous n’avez rien à faire.} other {Vous recevez cet e-mail parce que les messages ont été envoyés depuis {sender}. Vous n’avez rien à faire.}}',
  'value.yourAddress': 'votre adresse',
  support: 'Des questions ? Contactez {contact}.',
  signature: 'Quarantaine de messagerie {organisation}',
  'signature.noOrganisation': 'Quarantaine de messagerie',
};

export default fr;
