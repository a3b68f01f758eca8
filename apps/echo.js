// apps/echo.js: print the arguments, separated by spaces, and a newline.
// -n leaves out the newline; -e understands backslash escapes (\n, \t, \e,
// \x41, \0101, and \c, which stops the output), as bash's echo does. The
// shell runs its builtin echo for a bare `echo`; this is /bin/echo.js, and
// both print what /lib/echo says.
'use strict';

const { echoText } = require('/lib/echo');

module.exports = async function main(argv) {
  sys.stdout.write(echoText(argv.slice(1)));
  return 0;
};

module.exports.description = 'print arguments';
module.exports.options = { '-n': 'no trailing newline', '-e': 'interpret backslash escapes', '-E': 'no backslash escapes (the default)' };
module.exports.usage = 'echo [-neE] [STRING...]';
