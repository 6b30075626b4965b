import type { Catalogue } from './en';

/** Portuguese (Brazil). */
const ptBR: Catalogue = {
  'subject.none': 'Suas mensagens retidas foram liberadas',
  'subject.one': 'Sua mensagem retida “{subject}” foi liberada',
  'subject.oneFollowUp': 'Sua mensagem retida “{subject}” foi liberada para mais destinatários',
  'subject.many':
    '{count, plural, one {# de suas mensagens retidas foi liberada} other {# de suas mensagens retidas foram liberadas}}',
  'subject.manyFollowUp':
    '{count, plural, one {# de suas mensagens retidas foi liberada para mais destinatários} other {# de suas mensagens retidas foram liberadas para mais destinatários}}',
  greeting: 'Olá,',
  'intro.held':
    '{count, plural, one {Uma mensagem que você enviou ficou retida em quarentena e agora foi liberada: ela seguiu para os destinatários listados abaixo.} other {# mensagens que você enviou ficaram retidas em quarentena e agora foram liberadas: elas seguiram para os destinatários listados abaixo.}}',
  'intro.followUp':
    '{count, plural, one {Uma mensagem que você enviou, sobre a qual já avisamos, agora também foi liberada para mais destinatários. Este email cita apenas os destinatários incluídos desde então.} other {# mensagens que você enviou, sobre as quais já avisamos, agora também foram liberadas para mais destinatários. Este email cita apenas os destinatários incluídos desde então.}}',
  'intro.firstListed': 'As {listed} primeiras estão listadas aqui.',
  'heading.one': 'A mensagem',
  'heading.many': 'Mensagem {index} de {total}',
  'label.subject': 'Assunto',
  'label.originalRecipients': 'Enviada originalmente para',
  'label.releasedTo': 'Liberada para',
  'label.releasedToFollowUp': 'Agora também liberada para',
  'label.quarantinedAt': 'Retida (em quarentena) em',
  'label.releasedAt': 'Liberada em',
  'label.releasedNoLaterThan': 'Liberada até',
  'label.releasedBy': 'Liberada por',
  'label.released': 'Liberada',
  'label.reason': 'Motivo da retenção',
  'value.notKnown': 'desconhecido',
  'value.noSubject': '(sem assunto)',
  'value.administrator': 'um administrador',
  'value.system': 'automaticamente pelo Microsoft 365',
  'value.listMore': '{list} e mais {count}',
  'value.quoted': '“{name}”',
  'value.policyNamed': '{kind} {name}',
  'value.policy': 'política',
  'type.transportrule': 'uma regra de fluxo de emails',
  'type.datalossprevention': 'uma política de prevenção contra perda de dados (DLP)',
  'type.spam': 'o filtro de spam',
  'type.bulk': 'o filtro de emails em massa',
  'type.phish': 'a proteção contra phishing',
  'type.highconfphish': 'a proteção contra phishing de alta confiança',
  'type.malware': 'a proteção contra malware',
  'type.spomalware': 'a proteção contra malware (SharePoint, OneDrive ou Teams)',
  'type.filetypeblock': 'um tipo de arquivo bloqueado',
  'type.admintriggered': 'um administrador',
  'type.ppi': 'uma política de proteção de contas prioritárias',
  'policyType.exchangetransportrule': 'regra de fluxo de emails',
  'policyType.datalosspreventionrule': 'regra de DLP',
  'policyType.hostedcontentfilterpolicy': 'política antispam',
  'policyType.antiphishpolicy': 'política antiphishing',
  'policyType.antimalwarepolicy': 'política antimalware',
  'policyType.safeattachmentpolicy': 'política de Anexos Seguros',
  'more.notListed':
    '{count, plural, one {Mais # mensagem liberada não está listada neste email.} other {Mais # mensagens liberadas não estão listadas neste email.}}',
  why: '{count, plural, one {Você está recebendo este email porque a mensagem foi enviada de {sender}. Não é preciso fazer nada.} other {Você está recebendo este email porque as mensagens foram enviadas de {sender}. Não é preciso fazer nada.}}',
  'value.yourAddress': 'seu endereço',
  support: 'Dúvidas? Fale com {contact}.',
  signature: 'Quarentena de email da {organisation}',
  'signature.noOrganisation': 'Quarentena de email',
};

export default ptBR;
