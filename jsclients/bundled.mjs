// Runs one function or class exactly as an Element Call release ships it.
//
// The @element-hq/element-call-embedded package is a browser app: importing its entry chunk would
// start the whole app. Instead we find one declaration in the shipped bundle through the bundle's
// own source map (the mapping segment that carries the original name, e.g.
// "RtcTransportAutoDiscovery" in src/state/CallViewModel/localMember/RtcTransportAutoDiscovery.ts),
// cut that declaration's text out of the minified bundle with a real JS parser, and evaluate it.
// Every identifier it uses from outside is resolved through the source map to its original name
// and must be supplied by the caller (from the same bundle, from matrix-js-sdk, or a stand-in the
// caller names), so nothing is guessed: an unknown free identifier is an error.

import fs from "node:fs";
import path from "node:path";
import * as acorn from "acorn";

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

function decodeMappings(mappings) {
  // Source map v3: lines separated by ';', segments by ',', base64 VLQ fields.
  const out = [];
  let src = 0, oline = 0, ocol = 0, name = 0;
  let line = 0;
  for (const group of mappings.split(";")) {
    let col = 0;
    if (group) {
      for (const seg of group.split(",")) {
        const fields = [];
        let value = 0, shift = 0;
        for (const ch of seg) {
          const digit = B64.indexOf(ch);
          value += (digit & 31) << shift;
          if (digit & 32) {
            shift += 5;
          } else {
            fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
            value = 0;
            shift = 0;
          }
        }
        col += fields[0];
        const entry = { line, col };
        if (fields.length >= 4) {
          src += fields[1];
          oline += fields[2];
          ocol += fields[3];
          entry.src = src;
          if (fields.length >= 5) {
            name += fields[4];
            entry.name = name;
          }
        }
        out.push(entry);
      }
    }
    line += 1;
  }
  return out;
}

function lineOffsets(text) {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

// Nodes whose `id` is the declared name, with the node that holds the value.
function* declarations(node) {
  const stack = [node];
  while (stack.length) {
    const n = stack.pop();
    if (!n || typeof n.type !== "string") continue;
    if ((n.type === "FunctionDeclaration" || n.type === "ClassDeclaration") && n.id) yield [n.id, n];
    if (n.type === "VariableDeclarator" && n.id.type === "Identifier" && n.init) yield [n.id, n.init];
    for (const key of Object.keys(n)) {
      const v = n[key];
      if (Array.isArray(v)) for (const c of v) stack.push(c);
      else if (v && typeof v.type === "string") stack.push(v);
    }
  }
}

// Declarations of one function scope: not those inside nested functions or classes.
function* ownDeclarations(body) {
  const stack = [body];
  while (stack.length) {
    const n = stack.pop();
    if (!n || typeof n.type !== "string") continue;
    if ((n.type === "FunctionDeclaration" || n.type === "ClassDeclaration") && n.id) {
      yield [n.id, n];
      continue;
    }
    if (n.type === "VariableDeclarator" && n.id.type === "Identifier" && n.init) yield [n.id, n.init];
    if (n !== body && (/Function/.test(n.type) || /^Class/.test(n.type))) continue;
    for (const key of Object.keys(n)) {
      const v = n[key];
      if (Array.isArray(v)) for (const c of v) stack.push(c);
      else if (v && typeof v.type === "string") stack.push(v);
    }
  }
}

function* identifiers(node, parent, key) {
  if (!node || typeof node.type !== "string") return;
  if (node.type === "Identifier") {
    const isProperty =
      (parent?.type === "MemberExpression" && key === "property" && !parent.computed) ||
      ((parent?.type === "Property" || parent?.type === "MethodDefinition" || parent?.type === "PropertyDefinition") &&
        key === "key" && !parent.computed);
    if (!isProperty) yield node;
    return;
  }
  for (const k of Object.keys(node)) {
    const v = node[k];
    if (Array.isArray(v)) for (const c of v) yield* identifiers(c, node, k);
    else if (v && typeof v.type === "string") yield* identifiers(v, node, k);
  }
}

function declaredNames(node) {
  const names = new Set();
  const addPattern = (p) => {
    if (!p) return;
    if (p.type === "Identifier") names.add(p.name);
    else if (p.type === "AssignmentPattern") addPattern(p.left);
    else if (p.type === "RestElement") addPattern(p.argument);
    else if (p.type === "ArrayPattern") p.elements.forEach(addPattern);
    else if (p.type === "ObjectPattern") p.properties.forEach((q) => addPattern(q.value ?? q.argument));
  };
  const stack = [node];
  while (stack.length) {
    const n = stack.pop();
    if (!n || typeof n.type !== "string") continue;
    if (n.type === "VariableDeclarator") addPattern(n.id);
    if (/Function/.test(n.type)) {
      if (n.id) names.add(n.id.name);
      n.params.forEach(addPattern);
    }
    if (n.type === "ClassDeclaration" || n.type === "ClassExpression") if (n.id) names.add(n.id.name);
    if (n.type === "CatchClause") addPattern(n.param);
    for (const key of Object.keys(n)) {
      const v = n[key];
      if (Array.isArray(v)) for (const c of v) stack.push(c);
      else if (v && typeof v.type === "string") stack.push(v);
    }
  }
  return names;
}

export class Bundle {
  constructor(jsPath, chunks = new Map()) {
    this.path = jsPath;
    this.chunks = chunks; // every chunk of one release, loaded once, shared for imports
    chunks.set(jsPath, this);
    this.text = fs.readFileSync(jsPath, "utf8");
    this.map = JSON.parse(fs.readFileSync(`${jsPath}.map`, "utf8"));
    this.segments = decodeMappings(this.map.mappings);
    const starts = lineOffsets(this.text);
    this.byOffset = new Map();
    for (const s of this.segments) this.byOffset.set(starts[s.line] + s.col, s);
    this.ast = acorn.parse(this.text, { ecmaVersion: "latest", sourceType: "module" });
    this.decls = [...declarations(this.ast)];
    // Cross-chunk links: local name -> [chunk file, exported name]; exported name -> local name.
    this.imports = new Map();
    this.exports = new Map();
    for (const stmt of this.ast.body) {
      if (stmt.type === "ImportDeclaration") {
        for (const spec of stmt.specifiers) {
          if (spec.type === "ImportSpecifier") {
            this.imports.set(spec.local.name, [stmt.source.value, spec.imported.name]);
          }
        }
      }
      if (stmt.type === "ExportNamedDeclaration" && !stmt.source) {
        for (const spec of stmt.specifiers) this.exports.set(spec.exported.name, spec.local.name);
      }
    }
  }

  chunk(relative) {
    const file = path.resolve(path.dirname(this.path), relative);
    return this.chunks.get(file) ?? new Bundle(file, this.chunks);
  }

  originalName(identifier) {
    const seg = this.byOffset.get(identifier.start);
    return seg?.name === undefined ? undefined : this.map.names[seg.name];
  }

  sourceOf(identifier) {
    const seg = this.byOffset.get(identifier.start);
    return seg?.src === undefined ? undefined : this.map.sources[seg.src];
  }

  /** The shipped declaration of `name` from the original file ending in `file`. */
  find(name, file) {
    let hits = this.decls.filter(
      ([id]) => this.originalName(id) === name && (this.sourceOf(id) ?? "").endsWith(file),
    );
    if (hits.length === 0) {
      // Some builds drop the class's name from the map: take the one class defined in that file.
      hits = this.decls.filter(
        ([, value]) => /^Class/.test(value.type) && (this.sourceOf(value) ?? "").endsWith(file),
      );
    }
    if (hits.length !== 1) throw new Error(`${name} in ${file}: ${hits.length} declarations in the bundle`);
    return hits[0][1];
  }

  /**
   * Evaluate the declaration of `name` (from the original file ending in `file`). Its free
   * identifiers are taken from `provide` (keyed by original name) first, else loaded the same way
   * from the declaration in this bundle with that minified and original name.
   */
  load(name, file, provide, seen = new Map()) {
    return this.#evaluate(this.find(name, file), name, provide, seen);
  }

  /**
   * The declaration `name` refers to from inside `node`: searched in the function scopes enclosing
   * `node`, innermost first (minifiers reuse short names only across different scopes).
   */
  resolve(node, name) {
    const chain = [];
    const walk = (n) => {
      if (n.start > node.start || n.end < node.end) return false;
      chain.push(n);
      if (n === node) return true;
      for (const key of Object.keys(n)) {
        const v = n[key];
        for (const c of Array.isArray(v) ? v : [v]) if (c && typeof c.type === "string" && walk(c)) return true;
      }
      chain.pop();
      return false;
    };
    walk(this.ast);
    for (const scope of chain.reverse()) {
      if (!(scope.type === "Program" || /Function/.test(scope.type))) continue;
      const body = scope.type === "Program" ? scope : scope.body;
      for (const [id, value] of ownDeclarations(body)) if (id.name === name) return value;
    }
    return undefined;
  }

  /** The value this chunk exports as `exported` (its original name is `original`). */
  exported(exported, provide, original) {
    if (original !== undefined && original in provide) return provide[original];
    const local = this.exports.get(exported);
    const hit = this.resolve(this.ast, local);
    if (hit === undefined) throw new Error(`${path.basename(this.path)}: export ${exported} (${original}) not found`);
    return this.#evaluate(hit, original ?? exported, provide, new Map());
  }

  #evaluate(node, label, provide, seen) {
    if (seen.has(node)) return seen.get(node);
    const declared = declaredNames(node);
    const free = new Map();
    for (const id of identifiers(node)) {
      if (declared.has(id.name) || id.name in globalThis || free.has(id.name)) continue;
      const original = this.originalName(id);
      if (original !== undefined && original in provide) {
        free.set(id.name, provide[original]);
        continue;
      }
      const hit = this.resolve(node, id.name);
      if (hit === undefined && this.imports.has(id.name)) {
        const [file, exported] = this.imports.get(id.name);
        free.set(id.name, this.chunk(file).exported(exported, provide, original));
        continue;
      }
      if (hit === undefined) {
        throw new Error(`${label}: free identifier ${id.name} (${original}) is not provided`);
      }
      free.set(id.name, this.#evaluate(hit, original ?? id.name, provide, seen));
    }
    const source = this.text.slice(node.start, node.end);
    const factory = new Function(...free.keys(), `"use strict"; return (${source});`);
    const value = factory(...free.values());
    seen.set(node, value);
    return value;
  }
}
