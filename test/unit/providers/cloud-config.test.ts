import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  CloudConfigError,
  fileContent,
  fileMode,
  fileOwner,
  parseUserData,
  renderRuncmd,
  renderUserData,
  serviceFile,
  shellQuote,
  SUPERVISE_START,
  type CloudConfig,
} from '../../../src/providers/cloud-config.ts';

/** Words that break naive quoting. */
const NASTY = [
  '',
  "it's",
  "''",
  'two words',
  '$HOME `id` $(id)',
  'back\\slash',
  'line\nbreak',
  '"double"',
  '*?[a]',
  '; rm -rf /',
  '-n',
];

void describe('shellQuote / renderRuncmd', () => {
  void it("quotes argv words as cloud-init does: always single quotes, a quote as '\\''", () => {
    assert.equal(shellQuote('abc'), "'abc'");
    assert.equal(shellQuote(''), "''");
    assert.equal(shellQuote("it's"), "'it'\\''s'");
    assert.equal(shellQuote('$x y'), "'$x y'");
  });

  void it('renders #!/bin/sh and one line per entry: strings as they are, argv lists quoted and joined', () => {
    assert.equal(
      renderRuncmd(['echo hi > /tmp/x', ['/usr/local/sbin/magnetar-supervise', 'start'], ['printf', '%s\\n', "a'b"]]),
      "#!/bin/sh\necho hi > /tmp/x\n'/usr/local/sbin/magnetar-supervise' 'start'\n'printf' '%s\\n' 'a'\\''b'\n",
    );
    assert.equal(renderRuncmd([]), '#!/bin/sh\n');
  });

  void it('a rendered argv list reaches the program word for word when sh runs the script', () => {
    // printf prints each argument NUL-terminated, so the test sees exactly what the program received.
    const script = renderRuncmd([['printf', '%s\\0', ...NASTY]]);
    const out = execFileSync('sh', ['-c', script], { encoding: 'utf8' });
    assert.deepEqual(out.split('\0').slice(0, -1), NASTY);
  });

  void it('string entries are shell lines (expansion and redirection happen)', () => {
    const out = execFileSync('sh', ['-c', renderRuncmd(['X=1', 'echo "x=$X"'])], { encoding: 'utf8' });
    assert.equal(out, 'x=1\n');
  });
});

void describe('renderUserData / parseUserData', () => {
  const config: CloudConfig = {
    write_files: [
      { path: '/etc/docker/daemon.json', content: '{\n  "tls": true\n}\n' },
      {
        path: '/etc/docker/tls/server-key.pem',
        content: '-----BEGIN KEY-----\nabc\n-----END KEY-----\n',
        permissions: '0600',
      },
      { path: '/etc/flag', content: 'yes', permissions: '0644', owner: '1000:1000' },
      { path: '/etc/no-newline', content: 'a\nb' },
      { path: '/etc/indented', content: '  two spaces first\n' },
      { path: '/usr/local/bin/blob', content: Buffer.from([0, 1, 2, 255]).toString('base64'), encoding: 'b64' },
      serviceFile('10-dockerd', ['/usr/sbin/dockerd']),
    ],
    runcmd: [['sh', '-c', "echo 'quoted' > /tmp/q"], 'on', '0755', [...SUPERVISE_START]],
  };

  void it('starts with #cloud-config and reads back to the same config (defaults filled in)', () => {
    const text = renderUserData(config);
    assert.match(text, /^#cloud-config\n/);
    const back = parseUserData(text);
    assert.deepEqual(
      back.write_files,
      config.write_files?.map((f) => ({ permissions: '0644', owner: 'root:root', ...f })),
    );
    assert.deepEqual(back.runcmd, config.runcmd);
  });

  void it('quotes what YAML 1.1 readers would turn into booleans or octal numbers', () => {
    const text = renderUserData(config);
    assert.match(text, /permissions: "0600"/);
    assert.match(text, /content: "yes"/);
    assert.match(text, /- "on"/);
    assert.doesNotMatch(text, /^%YAML/m);
  });

  void it('PyYAML (what cloud-init parses user-data with) reads the same document', (t) => {
    const probe = spawnSync('python3', ['-c', 'import yaml'], { encoding: 'utf8' });
    if (probe.status !== 0) {
      t.skip('python3 with PyYAML is not installed');
      return;
    }
    const text = renderUserData(config);
    const json = execFileSync(
      'python3',
      ['-c', 'import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'],
      {
        input: text,
        encoding: 'utf8',
      },
    );
    assert.deepEqual(JSON.parse(json), parseUserData(text));
  });

  void it('refuses documents outside the subset, naming the key', () => {
    const bad = (text: string, key: string): void => {
      assert.throws(
        () => parseUserData(text),
        (e: unknown) => e instanceof CloudConfigError && e.key === key,
        `${key}: ${text}`,
      );
    };
    bad('write_files: []\n', 'header');
    bad('#cloud-config\npackages: [curl]\n', 'packages');
    bad('#cloud-config\nwrite_files:\n  - path: etc/x\n    content: a\n', 'write_files[0].path');
    bad('#cloud-config\nwrite_files:\n  - path: /a/../b\n    content: a\n', 'write_files[0].path');
    bad(
      '#cloud-config\nwrite_files:\n  - path: /x\n    content: a\n    permissions: "rw"\n',
      'write_files[0].permissions',
    );
    bad('#cloud-config\nwrite_files:\n  - path: /x\n    content: a\n    encoding: gzip\n', 'write_files[0].encoding');
    bad('#cloud-config\nwrite_files:\n  - path: /x\n    content: a\n    owner: daemon\n', 'write_files[0].owner');
    bad('#cloud-config\nwrite_files:\n  - path: /x\n    content: a\n    defer: true\n', 'write_files[0].defer');
    bad('#cloud-config\nwrite_files:\n  - {path: /x, content: a}\n  - {path: /x, content: b}\n', 'write_files[1].path');
    bad('#cloud-config\nruncmd: echo\n', 'runcmd');
    bad('#cloud-config\nruncmd:\n  - {a: 1}\n', 'runcmd[0]');
    bad('#cloud-config\nruncmd: [[]]\n', 'runcmd[0]');
    bad('#cloud-config\n: : :\n  - [\n', 'yaml');
  });

  void it('refuses to render what it could not read back', () => {
    assert.throws(() => renderUserData({ write_files: [{ path: 'relative', content: '' }] }), CloudConfigError);
    assert.throws(() => renderUserData({ runcmd: [[]] }), CloudConfigError);
  });

  void it('an empty document is an empty config', () => {
    assert.deepEqual(parseUserData('#cloud-config\n'), {});
    assert.equal(renderUserData({}), '#cloud-config\n{}\n');
    assert.deepEqual(parseUserData(renderUserData({})), {});
  });
});

void describe('write_files helpers', () => {
  void it('modes, owners and contents', () => {
    assert.equal(fileMode(undefined), 0o644);
    assert.equal(fileMode('0600'), 0o600);
    assert.equal(fileMode('755'), 0o755);
    assert.equal(fileMode('4755'), 0o4755);
    assert.throws(() => fileMode('0999'), CloudConfigError);
    assert.deepEqual(fileOwner(undefined), { uid: 0, gid: 0 });
    assert.deepEqual(fileOwner('root:root'), { uid: 0, gid: 0 });
    assert.deepEqual(fileOwner('1000'), { uid: 1000, gid: 1000 });
    assert.deepEqual(fileOwner('0:65534'), { uid: 0, gid: 65534 });
    assert.deepEqual([...fileContent({ path: '/b', content: 'AAEC/w==', encoding: 'b64' })], [0, 1, 2, 255]);
    assert.equal(fileContent({ path: '/t', content: 'é' }).toString('utf8'), 'é');
  });

  void it('serviceFile writes an executable that execs the quoted command', () => {
    const f = serviceFile('20-kubelet', ['/opt/k8s/bin/kubelet', '--config', '/etc/kubernetes/kubelet config.yaml']);
    assert.deepEqual(f, {
      path: '/etc/magnetar/services/20-kubelet',
      content: "#!/bin/sh\nexec '/opt/k8s/bin/kubelet' '--config' '/etc/kubernetes/kubelet config.yaml'\n",
      permissions: '0755',
    });
    assert.throws(() => serviceFile('../x', ['a']), CloudConfigError);
    assert.throws(() => serviceFile('x', []), CloudConfigError);
  });
});
