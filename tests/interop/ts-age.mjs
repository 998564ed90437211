// The TypeScript age implementation (npm age-encryption), driven by
// tests/tests/e2e/interop_typescript_age.rs as an independent reader and
// writer of post-quantum (mlkem768x25519) age files.
//
//   node ts-age.mjs decrypt IDENTITY_FILE IN OUT   decrypt IN with every
//       identity line of IDENTITY_FILE ("#" lines skipped), write OUT
//   node ts-age.mjs encrypt RECIPIENT IN OUT       encrypt IN to RECIPIENT
//
// Exit 0 on success; on failure, exit 1 with age's error on stderr.
import { readFileSync, writeFileSync } from "node:fs";
import { Decrypter, Encrypter } from "age-encryption";

const [command, key, input, output] = process.argv.slice(2);
try {
  if (command === "decrypt") {
    const decrypter = new Decrypter();
    for (const line of readFileSync(key, "utf8").split("\n")) {
      if (line.trim() !== "" && !line.startsWith("#")) decrypter.addIdentity(line.trim());
    }
    const plain = await decrypter.decrypt(readFileSync(input), "uint8array");
    writeFileSync(output, plain);
  } else if (command === "encrypt") {
    const encrypter = new Encrypter();
    encrypter.addRecipient(key);
    writeFileSync(output, await encrypter.encrypt(readFileSync(input)));
  } else {
    throw new Error(`unknown command ${command}`);
  }
} catch (e) {
  process.stderr.write(`ts-age: ${e?.message ?? e}\n`);
  process.exit(1);
}
