// Resend's SDK (npm "resend") against SendApi: RESEND_BASE_URL is the SDK's own setting.
import { Resend } from 'resend';

const { BASE_URL, API_KEY, FROM, RUN, DOMAIN, SEND_AT, TEMPLATE } = process.env;
process.env.RESEND_BASE_URL = BASE_URL;
const to = (name) => `${name}-${RUN}@${DOMAIN}`;
const resend = new Resend(API_KEY);
const out = {};

const plain = {
  from: `Acme <${FROM}>`,
  to: [to('plain')],
  cc: to('plain-cc'),
  replyTo: 'support@acme.test',
  subject: 'Resend plain',
  text: 'Plain text body',
  html: '<p>HTML body</p>',
  headers: { 'X-Entity-Ref-ID': 'ref-123' },
  tags: [{ name: 'category', value: 'welcome' }],
  attachments: [{ filename: 'note.txt', content: Buffer.from('attached bytes') }],
};
out.plain = await resend.emails.send(plain, { idempotencyKey: `plain-${RUN}` });
out.replay = await resend.emails.send(plain, { idempotencyKey: `plain-${RUN}` });
out.reused = await resend.emails.send({ ...plain, subject: 'Another' }, { idempotencyKey: `plain-${RUN}` });
out.get = await resend.emails.get(out.plain.data?.id);

out.batch = await resend.batch.send([
  { from: FROM, to: [to('batch1')], subject: 'Resend batch 1', text: 'one' },
  { from: FROM, to: [to('batch2')], subject: 'Resend batch 2', html: '<b>two</b>' },
]);
out.batchStrict = await resend.batch.send([
  { from: FROM, to: [to('never1')], subject: 'ok', text: 'ok' },
  { from: FROM, to: ['not an address'], subject: 'bad', text: 'bad' },
]);
out.batchPermissive = await resend.batch.send([
  { from: FROM, to: [to('permissive')], subject: 'Resend permissive', text: 'ok' },
  { from: FROM, to: ['not an address'], subject: 'bad', text: 'bad' },
], { batchValidation: 'permissive' });

out.scheduled = await resend.emails.send({ from: FROM, to: [to('scheduled')], subject: 'Resend scheduled', text: 'later', scheduledAt: SEND_AT });
const later = await resend.emails.send({
  from: FROM, to: [to('canceled')], subject: 'Resend canceled', text: 'never',
  scheduledAt: new Date(Date.now() + 3600_000).toISOString(),
});
out.later = later;
out.laterGet = await resend.emails.get(later.data?.id);
out.cancel = await resend.emails.cancel(later.data?.id);
out.canceledGet = await resend.emails.get(later.data?.id);
out.cancelAgain = await resend.emails.cancel(later.data?.id);

out.invalid = await resend.emails.send({ from: FROM, to: ['not an address'], subject: 'x', text: 'x' });
out.noBody = await resend.emails.send({ from: FROM, to: [to('nobody')], subject: 'x' , text: ''});
out.template = await resend.emails.send({ from: FROM, to: [to('template')], template: { id: TEMPLATE, variables: { name: 'Ann' } } });
out.templateMissing = await resend.emails.send({ from: FROM, to: [to('template-missing')], template: { id: 'no-such-template', variables: {} } });
out.templateWithSubject = await resend.emails.send({ from: FROM, to: [to('template-subject')], subject: 'Own subject', template: { id: TEMPLATE } });
out.notFound = await resend.emails.get('0193f0a0b0c0d0e0f000000000000000');
out.badKey = await new Resend('not-a-key').emails.send({ from: FROM, to: [to('badkey')], subject: 'x', text: 'x' });

console.log(JSON.stringify(out));
