// Fails if a TypeScript source of this directory holds a cast (`x as T`,
// `<T>x`), a non-null assertion (`x!`) or the type `any`: the flow must
// type-check on the generated types alone, so nothing may override them.
// Uses the compiler's own parser, not a text search.

import { readFileSync } from "node:fs";
import ts from "typescript";

const files = process.argv.slice(2);
let found = 0;
for (const file of files) {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
  const visit = (node: ts.Node): void => {
    let what = "";
    if (ts.isAsExpression(node) || ts.isTypeAssertionExpression(node)) what = "a cast";
    else if (ts.isNonNullExpression(node)) what = "a non-null assertion";
    else if (node.kind === ts.SyntaxKind.AnyKeyword) what = "the type any";
    if (what !== "") {
      const { line, character } = source.getLineAndCharacterOfPosition(node.getStart());
      console.log(`${file}:${line + 1}:${character + 1}: ${what}: ${node.getText()}`);
      found += 1;
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}
console.log(found === 0 ? `no cast, non-null assertion or any in ${files.length} file(s)` : `${found} found`);
process.exit(found === 0 ? 0 : 1);
