import type { ConnectionError } from 'fastify';
import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';

/**
 * Requests Node's HTTP parser refuses before any route sees them (a header block past 16 KiB, a
 * malformed request line). fastify's default answer carries a JSON body whatever the method, so a
 * HEAD client reads the status line, skips the body as HEAD requires, and then trips over the body
 * bytes as if they were the next response ("Expected HTTP/"). Here the body is left out when the
 * request was a HEAD, as far as the bytes Node was parsing (`rawPacket`) show: over plain http they
 * start with the request line; over TLS they may be a later record, and then the method is unknown
 * and the body is sent as before. The connection is closed either way: the rest of the request was never read.
 */
export function clientErrorHandler(err: ConnectionError, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
  // fastify types rawPacket as a Buffer's JSON form; at run time Node hands over the Buffer itself.
  const raw: unknown = err.rawPacket;
  const method = /^([A-Z]+) /.exec(Buffer.isBuffer(raw) ? raw.toString('latin1', 0, 16) : '')?.[1];
  const body = method === 'HEAD' ? '' : JSON.stringify({ error: STATUS_CODES[status], statusCode: status });
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${body ? 'Content-Type: application/json\r\n' : ''}\r\n${body}`);
  }
  socket.destroy(err);
}
