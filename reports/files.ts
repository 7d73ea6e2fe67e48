// Reading the files the reports are made from (results.json, sweep.json): each checked to exist,
// to be JSON and to carry its schema, with an error that names the file and what is wrong.
import { readFileSync } from 'node:fs';

export interface SchemaFile {
  /** "results" or "sweep": the kind of file, as the messages name it. */
  kind: string;
  /** What writes it ("run", "sweep"), for the hint when the JSON is cut short. */
  writer: string;
  schema: string;
  /** Schemas of older versions of the file, each with what changed since, to refuse them clearly. */
  older?: Record<string, string>;
  /** The error to throw, e.g. ResultsFileError. */
  fail: (message: string) => Error;
}

/** The file's JSON document, once it is known to carry `f.schema`; its other fields are the caller's to check. */
export function readSchemaFile(file: string, f: SchemaFile): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw f.fail(`${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? `is a folder, not a ${f.kind}.json` : (e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw f.fail(`${file}: not valid JSON (${(e as Error).message}); was the ${f.writer} interrupted while writing it?`);
  }
  const d = doc as Record<string, unknown> | null;
  const older = typeof d?.schema === 'string' ? f.older?.[d.schema] : undefined;
  if (older) {
    throw f.fail(`${file}: written by an older datamover-bench ("schema" is "${d!.schema}": ${older}); this version reads "${f.schema}": make it again with this version`);
  }
  if (!d || typeof d !== 'object' || d.schema !== f.schema) {
    throw f.fail(`${file}: not a datamover-bench ${f.kind} file: "schema" is ${JSON.stringify(d?.schema)}, expected "${f.schema}"`);
  }
  return d;
}
