// An SMTP server on 127.0.0.1:$SMTP_PORT for the accounts tests: it takes every message (no TLS, no login needed) and
// prints it as one JSON line: {"from", "to": [...], "data"}. Its first line, "listening", says it is ready.
import {SMTPServer} from 'smtp-server';

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  onData(stream, session, callback) {
    const chunks = [];
    stream.on('data', (chunk) => chunks.push(chunk));
    stream.on('end', () => {
      console.log(JSON.stringify({
        from: session.envelope.mailFrom.address,
        to: session.envelope.rcptTo.map((recipient) => recipient.address),
        data: Buffer.concat(chunks).toString('utf8'),
      }));
      callback();
    });
  },
});
server.listen(Number(process.env.SMTP_PORT), '127.0.0.1', () => console.log('listening'));
