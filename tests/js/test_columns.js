// Unit tests for fs/lib/columns.js: ls-style column-major layout and human sizes.
const { columns, formatSize } = require('/lib/columns');

test('names that fit on one line stay on one line', () => {
  assert.equal(columns(['a', 'bb', 'ccc'], 80), 'a  bb  ccc');
  assert.equal(columns([], 80), '');
  assert.equal(columns(['only'], 80), 'only');
});

test('columns fill top to bottom, then left to right', () => {
  const names = ['alpha', 'beta', 'delta', 'epsilon', 'gamma', 'sub/'];
  assert.equal(columns(names, 30), 'alpha  delta    gamma\nbeta   epsilon  sub/');
});

test('a line never reaches the full width, as in GNU ls', () => {
  // 'aaaa  bbbb' is 10 wide: it fits in 11 columns but not in 10.
  assert.equal(columns(['aaaa', 'bbbb'], 11), 'aaaa  bbbb');
  assert.equal(columns(['aaaa', 'bbbb'], 10), 'aaaa\nbbbb');
});

test('the last column is short when the names do not divide evenly', () => {
  const names = ['1', '2', '3', '4', '5', '6', '7'];
  assert.equal(columns(names, 20), '1  2  3  4  5  6  7');
  assert.equal(columns(names, 9), '1  4  7\n2  5\n3  6');
});

test('a name wider than the screen gets a line of its own', () => {
  assert.equal(columns(['x'.repeat(30), 'y'], 20), `${'x'.repeat(30)}\ny`);
});

test('human sizes', () => {
  assert.equal(formatSize(0), '0');
  assert.equal(formatSize(1023), '1023');
  assert.equal(formatSize(1024), '1.0K');
  assert.equal(formatSize(1536), '1.5K');
  assert.equal(formatSize(1537), '1.6K'); // rounded up, like ls -h
  assert.equal(formatSize(10 * 1024), '10K');
  assert.equal(formatSize(64 * 1024 * 1024), '64M');
  assert.equal(formatSize(1024 * 1024 - 1), '1.0M');
  assert.equal(formatSize(3 * 1024 ** 3), '3.0G');
  assert.equal(formatSize(1536, 'iB'), '1.5KiB');
  assert.equal(formatSize(512, 'iB'), '512B');
});
