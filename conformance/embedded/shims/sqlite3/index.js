// The fork's CommonJS root exports Database/Statement/Backup/default; the OPEN_* constants knex needs are on .default.
const m = require('@appthreat/sqlite3');
module.exports = m.default || m;
