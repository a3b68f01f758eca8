// Unit tests for fs/lib/file-mode.js (/lib/file-mode): chmod's MODE as
// GNU's chmod reads it. The cases are the examples of GNU coreutils'
// manual, "File permissions" (sections Symbolic Modes, Copying Existing
// Permissions, Changing Special Mode Bits, Conditional Executability,
// Making Multiple Changes, Numeric Modes, and Directories and the
// Set-User-ID and Set-Group-ID Bits), with the modes the manual says they
// give; jsksh has no umask (a clause without who is for all).
const { compileMode, adjustMode, modeText, octal } = require('/lib/file-mode');

const FILE = false;
const DIR = true;
const apply = (text, mode, isDir = FILE) => {
  const changes = compileMode(text);
  assert.ok(changes, `'${text}' is a mode`);
  return adjustMode(mode, isDir, changes);
};

test('setting permissions: a=rw, go-w, go=, og-rwx', () => {
  assert.equal(apply('a=rw', 0o755), 0o666, 'everyone reads and writes, nobody executes');
  assert.equal(apply('a=rw', 0o100), 0o666);
  assert.equal(apply('go-w', 0o666), 0o644, 'write taken from all but the owner');
  assert.equal(apply('go-w', 0o777), 0o755, 'and nothing else changed');
  assert.equal(apply('go-w', 0o604), 0o604);
  assert.equal(apply('go=', 0o755), 0o700, "no permission for anyone but the owner");
  assert.equal(apply('og-rwx', 0o755), 0o700, 'the same thing, said another way');
});

test('u+x, a=r, +x and -w: who left out is everyone (no umask)', () => {
  assert.equal(apply('u+x', 0o644), 0o744);
  assert.equal(apply('a=r', 0o755), 0o444);
  assert.equal(apply('+x', 0o644), 0o755);
  assert.equal(apply('-w', 0o666), 0o444);
  assert.equal(apply('=', 0o755), 0o000);
  assert.equal(apply('a+', 0o640), 0o640, 'an operator with no permissions changes nothing');
});

test('copying existing permissions: o+g (664 -> 666, 741 -> 745), and - and = alike', () => {
  assert.equal(apply('o+g', 0o664), 0o666);
  assert.equal(apply('o+g', 0o741), 0o745);
  assert.equal(apply('g-u', 0o764), 0o704);
  assert.equal(apply('go=u', 0o741), 0o777);
  assert.equal(apply('u=o', 0o755), 0o555);
});

test('special bits: u+s, ug-s, +t; o+s and u+t change nothing', () => {
  assert.equal(apply('u+s', 0o755), 0o4755, 'set-user-ID');
  assert.equal(apply('ug-s', 0o6755), 0o755, 'both set-ID bits off');
  assert.equal(apply('+t', 0o777, DIR), 0o1777, 'the sticky bit (restricted deletion), as /tmp has it');
  assert.equal(apply('o+s', 0o755), 0o755, 'o+s has no effect');
  assert.equal(apply('u+t', 0o755), 0o755);
  assert.equal(apply('g+s', 0o755, DIR), 0o2755);
});

test('conditional executability: a+X', () => {
  assert.equal(apply('a+X', 0o644, DIR), 0o755, 'directories become searchable');
  assert.equal(apply('a+X', 0o644, FILE), 0o644, 'a file nobody may execute stays so');
  assert.equal(apply('a+X', 0o744, FILE), 0o755, 'a file someone may execute: everyone');
  assert.equal(apply('u=rw,go=r,a+X', 0o700, FILE), 0o644, 'X looks at the mode as the clauses before it left it');
  assert.equal(apply('og+rX', 0o700, DIR), 0o755);
});

test('multiple changes: u=rwx,g=rx,o= and several operators in one clause', () => {
  assert.equal(apply('u=rwx,g=rx,o=', 0o644), 0o750);
  assert.equal(apply('a-x,u+x', 0o777), 0o766);
  assert.equal(apply('u+r-w+x', 0o200), 0o500);
  assert.equal(apply('ug+w,o-r', 0o444), 0o660);
});

test('numeric modes: octal, up to 07777', () => {
  assert.equal(apply('644', 0o777), 0o644);
  assert.equal(apply('0644', 0o777), 0o644);
  assert.equal(apply('1777', 0o755, DIR), 0o1777);
  assert.equal(apply('4755', 0o644), 0o4755);
  assert.equal(apply('0', 0o644), 0);
  assert.equal(apply('7', 0o644), 0o007);
});

test("a directory keeps its set-ID bits unless the mode names them", () => {
  assert.equal(apply('755', 0o2755, DIR), 0o2755, 'chmod 755 D keeps set-group-ID');
  assert.equal(apply('0755', 0o2755, DIR), 0o2755, 'four digits keep it too');
  assert.equal(apply('u=rwx,go=rx', 0o2755, DIR), 0o2755);
  assert.equal(apply('00755', 0o2755, DIR), 0o755, 'five digits clear it');
  assert.equal(apply('a-s', 0o6755, DIR), 0o755, 'naming s clears it');
  assert.equal(apply('755', 0o2755, FILE), 0o755, 'a file does not keep it');
  assert.equal(apply('2755', 0o755, DIR), 0o2755);
});

test('invalid modes: no operator, an unknown letter, an empty clause, too large', () => {
  for (const bad of ['', 'u', 'ug', 'a+z', 'u+r,', ',u+r', 'rwx', '+q', '8', '17777', '0x1', 'u+ rw', '+uw']) {
    assert.equal(compileMode(bad), null, `'${bad}' is refused`);
  }
});

test('modeText and octal: what chmod -v prints', () => {
  assert.equal(modeText(0o644), 'rw-r--r--');
  assert.equal(modeText(0o1777), 'rwxrwxrwt');
  assert.equal(modeText(0o1776), 'rwxrwxrwT');
  assert.equal(modeText(0o4755), 'rwsr-xr-x');
  assert.equal(modeText(0o2644), 'rw-r-Sr--');
  assert.equal(octal(0o644), '0644');
  assert.equal(octal(0o4755), '4755');
});
