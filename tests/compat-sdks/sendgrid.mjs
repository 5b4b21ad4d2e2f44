// SendGrid's SDK (npm "@sendgrid/mail") against SendApi: the client's default request baseUrl is its own setting
// (set after setApiKey, which resets it to SendGrid's host).
import sgMail from '@sendgrid/mail';

const { BASE_URL, API_KEY, FROM, RUN, DOMAIN, SEND_AT, TEMPLATE_ID } = process.env;
const to = (name) => `${name}-${RUN}@${DOMAIN}`;
sgMail.setApiKey(API_KEY);
sgMail.client.setDefaultRequest('baseUrl', BASE_URL);
const out = {};

// Each case's outcome: status and headers as the SDK resolved them, or its ResponseError's code, message and body.
async function attempt(call) {
  try {
    const [response] = await call();
    return { ok: { statusCode: response.statusCode, messageId: response.headers['x-message-id'], body: response.body } };
  } catch (e) {
    return { error: { type: e.constructor.name, code: e.code, message: e.message, body: e.response?.body, text: e.toString() } };
  }
}

out.plain = await attempt(() => sgMail.send({
  from: { email: FROM, name: 'Acme Store' },
  to: [{ email: to('plain'), name: 'Jane Doe' }],
  cc: to('plain-cc'),
  replyTo: 'support@acme.test',
  subject: 'SendGrid plain',
  text: 'Plain text body',
  html: '<p>HTML <img src="cid:logo"></p>',
  headers: { 'X-Entity-Ref-ID': 'ref-123' },
  categories: ['welcome'],
  customArgs: { order_id: '1234' },
  attachments: [
    { filename: 'note.txt', content: Buffer.from('attached bytes').toString('base64'), type: 'text/plain' },
    { filename: 'logo.png', content: Buffer.from('png').toString('base64'), type: 'image/png', disposition: 'inline', content_id: 'logo' },
  ],
  trackingSettings: { clickTracking: { enable: false } },
}));

// Two personalizations: two messages, each with its own recipient and subject.
out.multiple = await attempt(() => sgMail.send({
  from: FROM,
  subject: 'SendGrid multiple',
  text: 'Hello',
  personalizations: [
    { to: [{ email: to('multi1') }], subject: 'SendGrid multiple 1', customArgs: { n: '1' } },
    { to: [{ email: to('multi2') }], subject: 'SendGrid multiple 2', customArgs: { n: '2' } },
  ],
}));

out.scheduled = await attempt(() => sgMail.send({
  from: FROM, to: to('scheduled'), subject: 'SendGrid scheduled', text: 'later',
  sendAt: Math.ceil(Date.parse(SEND_AT) / 1000),
}));

out.invalid = await attempt(() => sgMail.send({ from: FROM, to: 'not an address', subject: 'x', text: 'x' }));
// A dynamic template: one message per personalization, each rendered with its own data.
out.template = await attempt(() => sgMail.send({
  from: FROM,
  templateId: TEMPLATE_ID,
  personalizations: [
    { to: [{ email: to('template1') }], dynamicTemplateData: { name: 'Ann' } },
    { to: [{ email: to('template2') }], dynamicTemplateData: { name: 'Bob' } },
  ],
}));
out.templateMissing = await attempt(() => sgMail.send({
  from: FROM, to: to('template-missing'), templateId: 'd-ffffffffffffffffffffffffffffffff', dynamicTemplateData: { name: 'A' },
}));
out.tracked = await attempt(() => sgMail.send({
  from: FROM, to: to('tracked'), subject: 'SendGrid tracked',
  html: '<p><a href="https://acme.test/offer">offer</a></p>', text: 'offer: https://acme.test/offer',
  trackingSettings: { clickTracking: { enable: true }, openTracking: { enable: true }, subscriptionTracking: { enable: true } },
}));
out.badKey = await attempt(async () => {
  sgMail.setApiKey('not-a-key');
  sgMail.client.setDefaultRequest('baseUrl', BASE_URL);
  return sgMail.send({ from: FROM, to: to('badkey'), subject: 'x', text: 'x' });
});

console.log(JSON.stringify(out));
