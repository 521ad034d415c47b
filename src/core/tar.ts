/** @module core/tar: a small ustar writer and reader, pure bytes (the Docker provider injects files into containers with it and reads archives back; the state backup packs the state directory). */

/** A regular file to put into an archive. `path` is relative (a leading `/` or `./` is dropped). */
export interface TarFile {
  path: string;
  content: string | Buffer;
  /** Permission bits, default 0o644. */
  mode?: number;
  /** Numeric owner, default 0 (root). */
  uid?: number;
  gid?: number;
}

/** An entry read back from an archive. */
export interface TarEntry {
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'other';
  mode: number;
  uid: number;
  gid: number;
  content: Buffer;
  linkname: string;
}

const BLOCK = 512;
const DIR_MODE = 0o755;
const FILE_MODE = 0o644;

function normalize(path: string): string {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0) throw new RangeError(`tar: empty path ${JSON.stringify(path)}`);
  if (parts.includes('..')) throw new RangeError(`tar: path must not contain "..": ${JSON.stringify(path)}`);
  return parts.join('/');
}

function writeString(block: Buffer, offset: number, length: number, value: string): void {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > length) throw new RangeError(`tar: ${JSON.stringify(value)} is longer than ${length} bytes`);
  bytes.copy(block, offset);
}

/** Writes `value` as zero-padded octal with a trailing NUL into a field of `length` bytes. */
function writeOctal(block: Buffer, offset: number, length: number, value: number): void {
  const digits = value.toString(8).padStart(length - 1, '0');
  if (digits.length > length - 1) throw new RangeError(`tar: ${value} does not fit into ${length - 1} octal digits`);
  writeString(block, offset, length, `${digits}\0`);
}

/** Splits a path into ustar `prefix` (≤ 155 bytes) and `name` (≤ 100 bytes) at a `/`. */
function splitName(path: string): { prefix: string; name: string } {
  if (Buffer.byteLength(path) <= 100) return { prefix: '', name: path };
  for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name !== '') return { prefix, name };
  }
  throw new RangeError(`tar: path too long for ustar: ${path}`);
}

function header(path: string, type: '0' | '5', mode: number, size: number, mtime: number, uid = 0, gid = 0): Buffer {
  const block = Buffer.alloc(BLOCK);
  const { prefix, name } = splitName(path);
  writeString(block, 0, 100, name);
  writeOctal(block, 100, 8, mode & 0o7777);
  writeOctal(block, 108, 8, uid);
  writeOctal(block, 116, 8, gid);
  writeOctal(block, 124, 12, size);
  writeOctal(block, 136, 12, mtime);
  block.fill(0x20, 148, 156); // checksum is computed with its own field as spaces
  writeString(block, 156, 1, type);
  writeString(block, 257, 6, 'ustar\0');
  writeString(block, 263, 2, '00');
  writeString(block, 265, 32, uid === 0 ? 'root' : '');
  writeString(block, 297, 32, gid === 0 ? 'root' : '');
  writeOctal(block, 329, 8, 0);
  writeOctal(block, 337, 8, 0);
  writeString(block, 345, 155, prefix);
  let sum = 0;
  for (const byte of block) sum += byte;
  writeString(block, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return block;
}

/**
 * Builds a ustar archive of regular files. Parent directories are added as entries (mode 0755, root) before their
 * files unless `parents` is false (then the extracting side makes missing ones and leaves existing ones, e.g. /tmp,
 * as they are); owners default to root (0:0). Ends with two zero blocks.
 */
export function tarFiles(files: readonly TarFile[], opts?: { mtime?: Date | number; parents?: boolean }): Buffer {
  const mtimeMs = opts?.mtime instanceof Date ? opts.mtime.getTime() : (opts?.mtime ?? Date.now());
  const mtime = Math.floor(mtimeMs / 1000);
  const blocks: Buffer[] = [];
  const dirs = new Set<string>();
  const seen = new Set<string>();
  for (const file of files) {
    const path = normalize(file.path);
    if (seen.has(path) || dirs.has(path)) throw new RangeError(`tar: duplicate path ${path}`);
    const parts = path.split('/');
    for (let i = 1; i < parts.length && opts?.parents !== false; i++) {
      const dir = parts.slice(0, i).join('/');
      if (seen.has(dir)) throw new RangeError(`tar: ${dir} is both a file and a directory`);
      if (dirs.has(dir)) continue;
      dirs.add(dir);
      blocks.push(header(`${dir}/`, '5', DIR_MODE, 0, mtime));
    }
    seen.add(path);
    const content = typeof file.content === 'string' ? Buffer.from(file.content, 'utf8') : file.content;
    blocks.push(header(path, '0', file.mode ?? FILE_MODE, content.length, mtime, file.uid, file.gid));
    blocks.push(content);
    const pad = (BLOCK - (content.length % BLOCK)) % BLOCK;
    if (pad > 0) blocks.push(Buffer.alloc(pad));
  }
  blocks.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(blocks);
}

function readString(block: Buffer, offset: number, length: number): string {
  const field = block.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? length : end).toString('utf8');
}

function readOctal(block: Buffer, offset: number, length: number): number {
  const text = readString(block, offset, length).trim();
  return text === '' ? 0 : parseInt(text, 8);
}

/** PAX extended header records (`"<len> key=value\n"`). */
function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space === -1) break;
    const len = parseInt(data.subarray(pos, space).toString('ascii'), 10);
    if (!Number.isFinite(len) || len <= 0) break;
    const record = data.subarray(space + 1, pos + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    pos += len;
  }
  return out;
}

/**
 * Reads a (ustar, GNU or PAX) tar archive into its entries; understands long names from PAX `path`/`linkpath`
 * records and GNU `L`/`K` entries. Paths come back without a trailing `/`.
 */
export function readTar(archive: Buffer): TarEntry[] {
  const entries: TarEntry[] = [];
  let pos = 0;
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax: Record<string, string> = {};
  while (pos + BLOCK <= archive.length) {
    const block = archive.subarray(pos, pos + BLOCK);
    if (block.every((b) => b === 0)) break;
    const size = readOctal(block, 124, 12);
    const typeflag = String.fromCharCode(block[156] ?? 0x30);
    const data = archive.subarray(pos + BLOCK, pos + BLOCK + size);
    pos += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    if (typeflag === 'x') {
      pax = { ...pax, ...parsePax(data) };
      continue;
    }
    if (typeflag === 'g') continue;
    if (typeflag === 'L' || typeflag === 'K') {
      const value = data.toString('utf8').replace(/\0+$/, '');
      if (typeflag === 'L') longName = value;
      else longLink = value;
      continue;
    }
    const prefix = readString(block, 345, 155);
    const name = readString(block, 0, 100);
    const path = (pax.path ?? longName ?? (prefix ? `${prefix}/${name}` : name)).replace(/\/+$/, '');
    const linkname = pax.linkpath ?? longLink ?? readString(block, 157, 100);
    const type =
      typeflag === '0' || typeflag === '\0' || typeflag === '7'
        ? 'file'
        : typeflag === '5'
          ? 'directory'
          : typeflag === '2'
            ? 'symlink'
            : 'other';
    entries.push({
      path,
      type,
      mode: readOctal(block, 100, 8) & 0o7777,
      uid: readOctal(block, 108, 8),
      gid: readOctal(block, 116, 8),
      content: Buffer.from(data),
      linkname,
    });
    longName = undefined;
    longLink = undefined;
    pax = {};
  }
  return entries;
}
