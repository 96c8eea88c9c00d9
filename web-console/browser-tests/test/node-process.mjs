// A real Backplane node: the shaded jar run as its own process, on a port and data directory the
// tests choose, so a test can kill it and start it again on the same port and data.

import { spawn } from 'node:child_process';
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const START_TIMEOUT_MILLIS = 30000;

export class NodeProcess {
  constructor(jar, dataDir = mkdtempSync(join(tmpdir(), 'bp-console-'))) {
    if (!existsSync(jar)) throw new Error(`node jar not found: ${jar} (build backplane-node first)`);
    this.jar = jar;
    this.dataDir = dataDir;
    this.port = 0;
    this.child = null;
    this.output = '';
  }

  get baseUrl() {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts the node (port 0 the first time: it picks one) and resolves once it printed "ready". */
  start() {
    const args = ['-jar', this.jar, '--lan', 'GENEVA', '--node-id', 'gva-1', '--data-dir', this.dataDir,
      '--http-port', String(this.port), '--cluster-port', '0', '--wan-port', '0'];
    const child = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`node not ready within ${START_TIMEOUT_MILLIS} ms:\n${this.output}`)),
        START_TIMEOUT_MILLIS);
      let port = 0;
      const onData = (chunk) => {
        this.output += chunk;
        const listening = /listening http=(\d+)/.exec(this.output);
        if (listening) port = Number(listening[1]);
        if (/^ready$/m.test(this.output) && port) {
          clearTimeout(timer);
          this.port = port;
          this.output = '';
          resolve(this);
        }
      };
      child.stdout.setEncoding('utf8').on('data', onData);
      child.stderr.setEncoding('utf8').on('data', (c) => { this.output += c; });
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`node exited with ${code} before ready:\n${this.output}`));
      });
    });
  }

  /** SIGKILL: no clean shutdown, as in a crash. Resolves when the process is gone. */
  kill(signal = 'SIGKILL') {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      child.removeAllListeners('exit');
      child.on('exit', () => resolve());
      child.kill(signal);
    });
  }

  async post(topic, body, contentType = 'application/json') {
    const response = await fetch(`${this.baseUrl}/api/v1/topics${topic}`, {
      method: 'POST', headers: { 'Content-Type': contentType }, body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const json = await response.json();
    if (response.status !== 201) throw new Error(`post to ${topic}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  }

  async get(path) {
    const response = await fetch(`${this.baseUrl}${path}`);
    return { status: response.status, body: await response.json() };
  }
}
