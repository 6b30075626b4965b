import type { Catalogue } from './en';

/** Italian. */
const it: Catalogue = {
  'subject.none': 'I tuoi messaggi trattenuti sono stati rilasciati',
  'subject.one': 'Il tuo messaggio trattenuto “{subject}” è stato rilasciato',
  'subject.oneFollowUp': 'Il tuo messaggio trattenuto “{subject}” è stato rilasciato ad altri destinatari',
  'subject.many':
    '{count, plural, one {# dei tuoi messaggi trattenuti è stato rilasciato} other {# dei tuoi messaggi trattenuti sono stati rilasciati}}',
  'subject.manyFollowUp':
    '{count, plural, one {# dei tuoi messaggi trattenuti è stato rilasciato ad altri destinatari} other {# dei tuoi messaggi trattenuti sono stati rilasciati ad altri destinatari}}',
  greeting: 'Buongiorno,',
  'intro.held':
    '{count, plural, one {Un messaggio che hai inviato è stato trattenuto in quarantena e ora è stato rilasciato: è stato recapitato ai destinatari indicati di seguito.} other {# messaggi che hai inviato sono stati trattenuti in quarantena e ora sono stati rilasciati: sono stati recapitati ai destinatari indicati di seguito.}}',
  'intro.followUp':
    '{count, plural, one {Un messaggio che hai inviato, di cui ti abbiamo già informato, è stato ora rilasciato anche ad altri destinatari. Questa email indica solo i destinatari aggiunti da allora.} other {# messaggi che hai inviato, di cui ti abbiamo già informato, sono stati ora rilasciati anche ad altri destinatari. Questa email indica solo i destinatari aggiunti da allora.}}',
  'intro.firstListed': 'Qui sono elencati i primi {listed}.',
  'heading.one': 'Il messaggio',
  'heading.many': 'Messaggio {index} di {total}',
  'label.subject': 'Oggetto',
  'label.originalRecipients': 'Inviato originariamente a',
  'label.releasedTo': 'Rilasciato a',
  'label.releasedToFollowUp': 'Ora rilasciato anche a',
  'label.quarantinedAt': 'Trattenuto (in quarantena) il',
  'label.releasedAt': 'Rilasciato il',
  'label.releasedNoLaterThan': 'Rilasciato entro il',
  'label.releasedBy': 'Rilasciato da',
  'label.released': 'Rilasciato',
  'label.reason': 'Motivo del blocco',
  'value.notKnown': 'non noto',
  'value.noSubject': '(nessun oggetto)',
  'value.administrator': 'un amministratore',
  'value.system': 'automaticamente da Microsoft 365',
  'value.listMore': '{list} e altri {count}',
  'value.quoted': '“{name}”',
  'value.policyNamed': '{kind} {name}',
  'value.policy': 'criterio',
  'type.transportrule': 'una regola del flusso di posta',
  'type.datalossprevention': 'un criterio di prevenzione della perdita dei dati (DLP)',
  'type.spam': 'il filtro della posta indesiderata',
  'type.bulk': 'il filtro della posta inviata in blocco',
  'type.phish': 'la protezione anti-phishing',
  'type.highconfphish': 'la protezione anti-phishing ad alta attendibilità',
  'type.malware': 'la protezione antimalware',
  'type.spomalware': 'la protezione antimalware (SharePoint, OneDrive o Teams)',
  'type.filetypeblock': 'un tipo di file bloccato',
  'type.admintriggered': 'un amministratore',
  'type.ppi': 'un criterio di protezione degli account prioritari',
  'policyType.exchangetransportrule': 'regola del flusso di posta',
  'policyType.datalosspreventionrule': 'regola DLP',
  'policyType.hostedcontentfilterpolicy': 'criterio anti-spam',
  'policyType.antiphishpolicy': 'criterio anti-phishing',
  'policyType.antimalwarepolicy': 'criterio antimalware',
  'policyType.safeattachmentpolicy': 'criterio Allegati sicuri',
  'more.notListed':
    '{count, plural, one {# altro messaggio rilasciato non è elencato in questa email.} other {Altri # messaggi rilasciati non sono elencati in questa email.}}',
  why: '{count, plural, one {Ricevi questa email perché il messaggio è stato inviato da {sender}. Non devi fare nulla.} other {Ricevi questa email perché i messaggi sono stati inviati da {sender}. Non devi fare nulla.}}',
  'value.yourAddress': 'il tuo indirizzo',
  support: 'Domande? Contatta {contact}.',
  signature: 'Quarantena della posta di {organisation}',
  'signature.noOrganisation': 'Quarantena della posta',
};

export default it;
