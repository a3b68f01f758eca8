// apps/svc.js: long-running services: svc start|stop|restart|list [NAME [ARGS...]].
// `svc start NAME -- PROGRAM ARGS...` runs another program under the name NAME.
//
// A service is an app that exports an interface (sys.services.export) and
// keeps running; the kernel's registry (kernel/services/registry.js) starts
// it with its output going to the kernel log, restarts it on the next call
// after it exited or was evicted, and lists it with the kernel's own
// services (console, fs, net), which answer through the same interface.
'use strict';

const { formatSize } = require('/lib/columns');
const { parseOptions, usageError } = require('/lib/options');

// What runs: /bin/NAME with ARGS, or PROGRAM with its ARGS after `--`.
const programOf = (name, args) => (args[0] === '--' && args.length > 1 ? args.slice(1) : [name, ...args]);

module.exports = async function main(argv) {
  // No options: the first word is the command, and what follows it is its own.
  const parsed = parseOptions(argv.slice(1), module.exports, { stopAtOperand: true });
  if (parsed.error) return usageError('svc', module.exports, parsed.error);
  const [command, name, ...args] = parsed.operands;
  const missingName = () => usageError('svc', module.exports, `${command}: missing service NAME`);
  try {
    switch (command) {
      case 'start': {
        if (!name) return missingName();
        const pid = await sys.call('svc.start', { name, argv: programOf(name, args) });
        sys.print(`svc: started ${name} (pid ${pid})`);
        return 0;
      }
      case 'stop':
        if (!name) return missingName();
        await sys.call('svc.stop', { name });
        sys.print(`svc: stopped ${name}`);
        return 0;
      case 'restart':
        if (!name) return missingName();
        await sys.call('svc.stop', { name }).catch(() => {});
        sys.print(`svc: started ${name} (pid ${await sys.call('svc.start', { name, argv: programOf(name, args) })})`);
        return 0;
      case 'list':
      case undefined:
        return list(await sys.services.list());
      default:
        return usageError('svc', module.exports, `unknown command '${command}'`);
    }
  } catch (e) {
    sys.stderr.write(`svc: ${e.message}\n`);
    return 1;
  }
};

function list(services) {
  const rows = services.map((s) => [
    s.name,
    s.pid === null ? '-' : s.pid,
    s.state,
    s.memory === null ? '-' : formatSize(s.memory, 'iB'),
    s.calls === null ? '-' : s.calls,
    s.idle === null ? '-' : `${s.idle.toFixed(1)}s`,
    s.restarts,
    s.state === 'kernel' ? s.methods.join(',') : s.program,
  ]);
  // MEM: heap + ArrayBuffers; MSGS: messages received; IDLE: since the last one.
  sys.table(['NAME', 'PID', 'STATE', 'MEM', 'MSGS', 'IDLE', 'RESTARTS', 'PROGRAM'], rows);
  return 0;
}

module.exports.description = 'start, stop and list services';
module.exports.options = { start: 'start NAME as a service', stop: 'stop service NAME', restart: 'stop and start NAME', list: 'list services' };
module.exports.usage = 'svc start NAME [ARGS...]\nsvc start NAME -- PROGRAM [ARGS...]\nsvc stop NAME\nsvc restart NAME\nsvc list';
