#!/usr/bin/env -S node --max-semi-space-size=8
// `npx ciam-emulator …`: the built CLI (npm install builds dist/ through the prepare script).
// --max-semi-space-size=8: V8's default young generation (16 MiB semispaces) costs ~15 MiB of memory
// under load for no token-rate gain here (bench/); npm start uses the same flag.
import '../dist/main.js';
