// In-process connections to the API server: a pair of byte streams joined in memory instead of a
// loopback TCP socket. The client end goes to node:http's client (an http.Agent whose
// createConnection returns it), the server end to the API server's http.Server as a connection
// (node:http accepts any Duplex there), so every request is still HTTP/1.1 through the same
// server code, and every client still speaks it through @kubernetes/client-node.
//
// Why: a large run sends hundreds of thousands of requests and watch events, and over
// loopback TCP each costs a write and a read system call and the kernel's TCP work: an eighth
// of one 1,000-PVC run's CPU time alone, more with three runs contending for the kernel. And on
// the virtual clock a run's order of events must not depend on the machine: loopback sockets
// leave to the kernel which socket the next poll finds readable first, while here each write
// is delivered by its own setImmediate callback, which Node runs first in, first out, so
// delivery order is the order of writes. Scenario results are identical over either transport
// (README, Scenarios).
import http from 'node:http';
import { Duplex } from 'node:stream';

/** The in-process connections of one server, and the bytes on their way. */
export class InProcessLink {
  private inFlight = 0;
  private readonly open = new Set<InProcessSocket>();

  constructor(private readonly server: http.Server) {}

  /** A new connection: returns the client end; the server end is handed to the server. */
  connect(): InProcessSocket {
    const client = new InProcessSocket(this);
    const server = new InProcessSocket(this);
    client.peer = server;
    server.peer = client;
    this.open.add(client);
    this.open.add(server);
    this.server.emit('connection', server);
    return client;
  }

  /** True when no bytes are on their way (an idleness probe for the virtual clock). */
  idle(): boolean {
    return this.inFlight === 0;
  }

  /** Ends every open connection (the server is stopping). */
  closeAll(): void {
    for (const s of [...this.open]) s.destroy();
  }

  /**
   * @internal Hands bytes (null: the end) to a connection's other end in the next turn of the
   * event loop, each write in its own callback, as a socket's read is: whatever a response
   * resolves runs (promise continuations included) before the next write is read, so a client
   * can act on its response before the watch event of its own write reaches its cache.
   */
  send(to: InProcessSocket, chunk: Buffer | null): void {
    this.inFlight++;
    setImmediate(() => {
      this.inFlight--;
      if (!to.destroyed && !to.readableEnded) to.push(chunk);
    });
  }

  /** @internal */
  forget(s: InProcessSocket): void {
    this.open.delete(s);
  }
}

/** One end of an in-process connection, with the net.Socket methods node:http calls. */
export class InProcessSocket extends Duplex {
  peer!: InProcessSocket;
  readonly remoteAddress = '127.0.0.1';
  readonly remoteFamily = 'IPv4';
  readonly remotePort = 0;
  readonly localAddress = '127.0.0.1';
  readonly localPort = 0;
  readonly connecting = false;
  timeout = 0;

  constructor(private readonly link: InProcessLink) {
    // Like net.Socket: when the peer ends, this end ends too.
    super({ allowHalfOpen: false });
  }

  override _read(): void {
    // Bytes are pushed by the link as they arrive.
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.link.send(this.peer, chunk);
    cb();
  }

  // A corked batch leaves in one piece, as a socket's writev does.
  override _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    this.link.send(this.peer, chunks.length === 1 ? chunks[0].chunk : Buffer.concat(chunks.map((c) => c.chunk)));
    cb();
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.link.send(this.peer, null);
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.link.forget(this);
    // The peer sees the connection close, as after a FIN.
    if (!this.peer.destroyed && !this.peer.readableEnded) this.link.send(this.peer, null);
    cb(err);
  }

  setTimeout(ms: number, cb?: () => void): this {
    // No idle timeouts on the wall clock: they would close connections at moments that
    // depend on the machine's speed.
    this.timeout = ms;
    if (cb) this.once('timeout', cb);
    return this;
  }

  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  address(): { address: string; family: string; port: number } {
    return { address: this.localAddress, family: this.remoteFamily, port: this.localPort };
  }
}

/** An http.Agent whose connections are in-process ones to one server. */
export class InProcessAgent extends http.Agent {
  constructor(
    private readonly link: InProcessLink,
    options: http.AgentOptions = {},
  ) {
    super(options);
  }

  override createConnection(): InProcessSocket {
    return this.link.connect();
  }

  /** The same, keeping connections alive for reuse. */
  withKeepAlive(): InProcessAgent {
    return new InProcessAgent(this.link, { keepAlive: true });
  }
}
