// A local OpenAI-compatible stand-in for the browser tests: chat completions (insights with a
// JSON schema, or a reply draft) and transcriptions, with a short delay so progress can be seen.
import http from 'node:http';

const port = Number(process.env.FAKE_AI_PORT ?? 3199);
const delayMs = Number(process.env.FAKE_AI_DELAY_MS ?? 1500);

const insights = {
  summary: '[CLIENT] slept better and agreed to walk after lunch.',
  themes: ['sleep', 'movement'],
  progress: ['Seven hours of sleep most nights'],
  concerns: ['Knee pain on stairs'],
  action_items: [
    { owner: 'client', text: 'Walk 20 minutes after lunch', due_date: '2026-12-01' },
    { owner: 'coach', text: 'Send [CLIENT] a stretching routine', due_date: null },
  ],
};

function completion(model, content) {
  return {
    id: 'chatcmpl-e2e', object: 'chat.completion', created: 1700000000, model,
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop', logprobs: null }],
    usage: { prompt_tokens: 300, completion_tokens: 40, total_tokens: 340 },
  };
}

http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const send = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && req.url === '/health') return send(200, { ok: true });
    if (req.url === '/v1/audio/transcriptions') return send(200, { text: 'Coach: How was the week?\nClient: Better.' });
    if (req.url !== '/v1/chat/completions') return send(404, { error: { message: 'not found' } });
    let request = {};
    try { request = JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch { return send(400, { error: { message: 'bad json' } }); }
    const schema = request.response_format?.type === 'json_schema';
    const content = schema ? JSON.stringify(insights) : 'Great week, [CLIENT]! The walks are paying off.';
    setTimeout(() => send(200, completion(request.model, content)), schema ? delayMs : 200);
  });
}).listen(port, '127.0.0.1');
