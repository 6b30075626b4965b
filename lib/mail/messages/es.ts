import type { Catalogue } from './en';

/** Spanish. */
const es: Catalogue = {
  'subject.none': 'Se han liberado sus mensajes retenidos',
  'subject.one': 'Se ha liberado su mensaje retenido “{subject}”',
  'subject.oneFollowUp': 'Se ha liberado su mensaje retenido “{subject}” para más destinatarios',
  'subject.many':
    '{count, plural, one {Se ha liberado # de sus mensajes retenidos} other {Se han liberado # de sus mensajes retenidos}}',
  'subject.manyFollowUp':
    '{count, plural, one {Se ha liberado # de sus mensajes retenidos para más destinatarios} other {Se han liberado # de sus mensajes retenidos para más destinatarios}}',
  greeting: 'Hola:',
  'intro.held':
    '{count, plural, one {Un mensaje que envió quedó retenido en cuarentena y ya se ha liberado: se entregó a los destinatarios indicados a continuación.} other {# mensajes que envió quedaron retenidos en cuarentena y ya se han liberado: se entregaron a los destinatarios indicados a continuación.}}',
  'intro.followUp':
    '{count, plural, one {Un mensaje que envió, del que ya le informamos, se ha liberado también para más destinatarios. Este correo solo indica los destinatarios añadidos desde entonces.} other {# mensajes que envió, de los que ya le informamos, se han liberado también para más destinatarios. Este correo solo indica los destinatarios añadidos desde entonces.}}',
  'intro.firstListed': 'Aquí se muestran los {listed} primeros.',
  'heading.one': 'El mensaje',
  'heading.many': 'Mensaje {index} de {total}',
  'label.subject': 'Asunto',
  'label.originalRecipients': 'Enviado originalmente a',
  'label.releasedTo': 'Liberado para',
  'label.releasedToFollowUp': 'Ahora también liberado para',
  'label.quarantinedAt': 'Retenido (en cuarentena) el',
  'label.releasedAt': 'Liberado el',
  'label.releasedNoLaterThan': 'Liberado a más tardar el',
  'label.releasedBy': 'Liberado por',
  'label.released': 'Liberado',
  'label.reason': 'Motivo de la retención',
  'value.notKnown': 'desconocido',
  'value.noSubject': '(sin asunto)',
  'value.administrator': 'un administrador',
  'value.system': 'automáticamente por Microsoft 365',
  'value.listMore': '{list} y {count} más',
  'value.quoted': '“{name}”',
  'value.policyNamed': '{kind} {name}',
  'value.policy': 'directiva',
  'type.transportrule': 'una regla de flujo de correo',
  'type.datalossprevention': 'una directiva de prevención de pérdida de datos (DLP)',
  'type.spam': 'el filtro de correo no deseado',
  'type.bulk': 'el filtro de correo masivo',
  'type.phish': 'la protección contra phishing',
  'type.highconfphish': 'la protección contra phishing de alta confianza',
  'type.malware': 'la protección contra malware',
  'type.spomalware': 'la protección contra malware (SharePoint, OneDrive o Teams)',
  'type.filetypeblock': 'un tipo de archivo bloqueado',
  'type.admintriggered': 'un administrador',
  'type.ppi': 'una directiva de protección de cuentas prioritarias',
  'policyType.exchangetransportrule': 'regla de flujo de correo',
  'policyType.datalosspreventionrule': 'regla DLP',
  'policyType.hostedcontentfilterpolicy': 'directiva contra correo no deseado',
  'policyType.antiphishpolicy': 'directiva contra phishing',
  'policyType.antimalwarepolicy': 'directiva antimalware',
  'policyType.safeattachmentpolicy': 'directiva de Datos adjuntos seguros',
  'more.notListed':
    '{count, plural, one {Hay # mensaje liberado más que no aparece en este correo.} other {Hay # mensajes liberados más que no aparecen en este correo.}}',
  why: '{count, plural, one {Recibe este correo porque el mensaje se envió desde {sender}. No tiene que hacer nada.} other {Recibe este correo porque los mensajes se enviaron desde {sender}. No tiene que hacer nada.}}',
  'value.yourAddress': 'su dirección',
  support: '¿Tiene preguntas? Póngase en contacto con {contact}.',
  signature: 'Cuarentena de correo de {organisation}',
  'signature.noOrganisation': 'Cuarentena de correo',
};

export default es;
