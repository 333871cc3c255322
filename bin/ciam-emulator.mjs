#!/usr/bin/env node
// `npx ciam-emulator …`: the built CLI (npm install builds dist/ through the prepare script).
import '../dist/main.js';
