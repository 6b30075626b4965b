import type { Catalogue } from './en';

/** Arabic (right to left): plurals zero, one, two, few (3-10), many (11-99), other. */
const ar: Catalogue = {
  'subject.none': 'تم الإفراج عن رسائلك المحتجزة',
  'subject.one': 'تم الإفراج عن رسالتك المحتجزة «{subject}»',
  'subject.oneFollowUp': 'تم الإفراج عن رسالتك المحتجزة «{subject}» لمستلمين إضافيين',
  'subject.many':
    '{count, plural, one {تم الإفراج عن رسالة واحدة من رسائلك المحتجزة} two {تم الإفراج عن رسالتين من رسائلك المحتجزة} few {تم الإفراج عن # رسائل من رسائلك المحتجزة} other {تم الإفراج عن # رسالة من رسائلك المحتجزة}}',
  'subject.manyFollowUp':
    '{count, plural, one {تم الإفراج عن رسالة واحدة من رسائلك المحتجزة لمستلمين إضافيين} two {تم الإفراج عن رسالتين من رسائلك المحتجزة لمستلمين إضافيين} few {تم الإفراج عن # رسائل من رسائلك المحتجزة لمستلمين إضافيين} other {تم الإفراج عن # رسالة من رسائلك المحتجزة لمستلمين إضافيين}}',
  greeting: 'مرحبًا،',
  'intro.held':
    '{count, plural, one {رسالة أرسلتها كانت محتجزة في العزل، وتم الإفراج عنها الآن: وصلت إلى المستلمين المذكورين أدناه.} two {رسالتان أرسلتهما كانتا محتجزتين في العزل، وتم الإفراج عنهما الآن: وصلتا إلى المستلمين المذكورين أدناه.} few {# رسائل أرسلتها كانت محتجزة في العزل، وتم الإفراج عنها الآن: وصلت إلى المستلمين المذكورين أدناه.} other {# رسالة أرسلتها كانت محتجزة في العزل، وتم الإفراج عنها الآن: وصلت إلى المستلمين المذكورين أدناه.}}',
  'intro.followUp':
    '{count, plural, one {رسالة أرسلتها وسبق أن أبلغناك بها تم الإفراج عنها الآن لمستلمين إضافيين. يذكر هذا البريد فقط المستلمين الذين أضيفوا منذ ذلك الحين.} two {رسالتان أرسلتهما وسبق أن أبلغناك بهما تم الإفراج عنهما الآن لمستلمين إضافيين. يذكر هذا البريد فقط المستلمين الذين أضيفوا منذ ذلك الحين.} few {# رسائل أرسلتها وسبق أن أبلغناك بها تم الإفراج عنها الآن لمستلمين إضافيين. يذكر هذا البريد فقط المستلمين الذين أضيفوا منذ ذلك الحين.} other {# رسالة أرسلتها وسبق أن أبلغناك بها تم الإفراج عنها الآن لمستلمين إضافيين. يذكر هذا البريد فقط المستلمين الذين أضيفوا منذ ذلك الحين.}}',
  'intro.firstListed': 'نعرض هنا أول {listed}.',
  'heading.one': 'الرسالة',
  'heading.many': 'الرسالة {index} من {total}',
  'label.subject': 'الموضوع',
  'label.originalRecipients': 'أُرسلت في الأصل إلى',
  'label.releasedTo': 'تم الإفراج عنها إلى',
  'label.releasedToFollowUp': 'تم الإفراج عنها الآن أيضًا إلى',
  'label.quarantinedAt': 'وقت الاحتجاز (العزل)',
  'label.releasedAt': 'وقت الإفراج',
  'label.releasedNoLaterThan': 'وقت الإفراج (في موعد أقصاه)',
  'label.releasedBy': 'أفرج عنها',
  'label.released': 'طريقة الإفراج',
  'label.reason': 'سبب الاحتجاز',
  'value.notKnown': 'غير معروف',
  'value.noSubject': '(بلا موضوع)',
  'value.administrator': 'أحد المسؤولين',
  'value.system': 'تلقائيًا بواسطة Microsoft 365',
  'value.listMore': '{list} و{count} غيرهم',
  'value.quoted': '«{name}»',
  'value.policyNamed': '{kind} {name}',
  'value.policy': 'نهج',
  'type.transportrule': 'قاعدة تدفق البريد',
  'type.datalossprevention': 'نهج منع فقدان البيانات (DLP)',
  'type.spam': 'تصفية البريد العشوائي',
  'type.bulk': 'تصفية البريد الجماعي',
  'type.phish': 'الحماية من التصيد الاحتيالي',
  'type.highconfphish': 'الحماية من التصيد الاحتيالي عالي الثقة',
  'type.malware': 'الحماية من البرامج الضارة',
  'type.spomalware': 'الحماية من البرامج الضارة (SharePoint أو OneDrive أو Teams)',
  'type.filetypeblock': 'نوع ملف محظور',
  'type.admintriggered': 'أحد المسؤولين',
  'type.ppi': 'نهج حماية الحسابات ذات الأولوية',
  'policyType.exchangetransportrule': 'قاعدة تدفق البريد',
  'policyType.datalosspreventionrule': 'قاعدة DLP',
  'policyType.hostedcontentfilterpolicy': 'نهج مكافحة البريد العشوائي',
  'policyType.antiphishpolicy': 'نهج مكافحة التصيد الاحتيالي',
  'policyType.antimalwarepolicy': 'نهج مكافحة البرامج الضارة',
  'policyType.safeattachmentpolicy': 'نهج المرفقات الآمنة',
  'more.notListed':
    '{count, plural, one {هناك رسالة أخرى تم الإفراج عنها غير مذكورة في هذا البريد.} two {هناك رسالتان أخريان تم الإفراج عنهما غير مذكورتين في هذا البريد.} few {هناك # رسائل أخرى تم الإفراج عنها غير مذكورة في هذا البريد.} other {هناك # رسالة أخرى تم الإفراج عنها غير مذكورة في هذا البريد.}}',
  why: '{count, plural, one {يصلك هذا البريد لأن الرسالة أُرسلت من {sender}. لا يلزمك اتخاذ أي إجراء.} other {يصلك هذا البريد لأن الرسائل أُرسلت من {sender}. لا يلزمك اتخاذ أي إجراء.}}',
  'value.yourAddress': 'عنوانك',
  support: 'لديك أسئلة؟ تواصل مع {contact}.',
  signature: 'عزل البريد في {organisation}',
  'signature.noOrganisation': 'عزل البريد',
};

export default ar;
