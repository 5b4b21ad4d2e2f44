// Postmark's SDK (npm "postmark") against SendApi: the ServerClient's requestHost and useHttps are its own settings.
import postmark from 'postmark';

const { BASE_URL, API_KEY, FROM, RUN, DOMAIN, TEMPLATE, TEMPLATE_ID } = process.env;
const url = new URL(BASE_URL);
const config = { useHttps: url.protocol === 'https:', requestHost: `${url.host}${url.pathname.replace(/\/$/, '')}`, timeout: 30 };
const to = (name) => `${name}-${RUN}@${DOMAIN}`;
const client = new postmark.ServerClient(API_KEY, config);
const out = {};

// Each case's outcome: what the SDK resolved, or its error's class, message, code and status.
async function attempt(call) {
  try {
    return { ok: await call() };
  } catch (e) {
    return { error: { type: e.constructor.name, name: e.name, message: e.message, code: e.code, statusCode: e.statusCode, recipients: e.recipients } };
  }
}

out.plain = await attempt(() => client.sendEmail({
  From: `Acme <${FROM}>`,
  To: `"Doe, Jane" <${to('plain')}>, ${to('plain2')}`,
  Cc: to('plain-cc'),
  ReplyTo: 'support@acme.test',
  Subject: 'Postmark plain',
  TextBody: 'Plain text body',
  HtmlBody: '<p>HTML <img src="cid:logo.png"></p>',
  Tag: 'welcome',
  Metadata: { order_id: '1234' },
  Headers: [{ Name: 'X-Entity-Ref-ID', Value: 'ref-123' }],
  Attachments: [
    { Name: 'note.txt', Content: Buffer.from('attached bytes').toString('base64'), ContentType: 'text/plain' },
    { Name: 'logo.png', Content: Buffer.from('png').toString('base64'), ContentType: 'image/png', ContentID: 'cid:logo.png' },
  ],
  TrackOpens: false,
  TrackLinks: 'None',
  MessageStream: 'outbound',
}));

out.tracked = await attempt(() => client.sendEmail({
  From: FROM, To: to('tracked'), Subject: 'Postmark tracked',
  HtmlBody: '<p><a href="https://acme.test/offer">offer</a></p>', TextBody: 'offer: https://acme.test/offer',
  TrackOpens: true, TrackLinks: 'HtmlAndText',
}));
out.textOnly = await attempt(() => client.sendEmail({ From: FROM, To: to('textonly'), Subject: 'x', TextBody: 'x', TrackLinks: 'TextOnly' }));

out.templated = await attempt(() => client.sendEmailWithTemplate({
  From: FROM, To: to('templated'), TemplateAlias: TEMPLATE, TemplateModel: { name: 'Ann' }, InlineCss: true, Tag: 'onboarding',
}));
out.templatedById = await attempt(() => client.sendEmailWithTemplate(new postmark.Models.TemplatedMessage(FROM, Number(TEMPLATE_ID), { name: 'Bob' }, to('templated-id'))));
out.templatedBatch = await attempt(() => client.sendEmailBatchWithTemplates([
  { From: FROM, To: to('tbatch1'), TemplateAlias: TEMPLATE, TemplateModel: { name: 'One' } },
  { From: FROM, To: to('tbatch2'), TemplateAlias: 'no-such-template', TemplateModel: {} },
  { From: FROM, To: to('tbatch3'), TemplateId: Number(TEMPLATE_ID), TemplateModel: { name: 'Three' } },
]));
out.templateMissing = await attempt(() => client.sendEmailWithTemplate({ From: FROM, To: to('template-missing'), TemplateAlias: 'no-such-template', TemplateModel: {} }));

out.batch = await attempt(() => client.sendEmailBatch([
  { From: FROM, To: to('batch1'), Subject: 'Postmark batch 1', TextBody: 'one' },
  { From: FROM, To: 'not an address', Subject: 'bad', TextBody: 'bad' },
  { From: FROM, To: to('batch3'), Subject: 'Postmark batch 3', HtmlBody: '<b>three</b>' },
]));

out.invalid = await attempt(() => client.sendEmail({ From: FROM, To: 'not an address', Subject: 'x', TextBody: 'x' }));
out.noRecipient = await attempt(() => client.sendEmail({ From: FROM, Subject: 'x', TextBody: 'x' }));
out.inactive = await attempt(() => client.sendEmail({ From: FROM, To: to('inactive'), Subject: 'x', TextBody: 'x' }));
out.someInactive = await attempt(() => client.sendEmail({ From: FROM, To: `${to('inactive')}, ${to('active')}`, Subject: 'Postmark some inactive', TextBody: 'x' }));
out.badTrackLinks = await attempt(() => client.sendEmail({ From: FROM, To: to('x'), Subject: 'x', TextBody: 'x', TrackLinks: 'Always' }));
out.badToken = await attempt(() => new postmark.ServerClient('not-a-token', config).sendEmail({ From: FROM, To: to('badtoken'), Subject: 'x', TextBody: 'x' }));

console.log(JSON.stringify(out));
