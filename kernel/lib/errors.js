// kernel/lib/errors.js: the kernel-wide error type, with POSIX names and messages.
//
// Kernel calls fail by throwing a KernelError; the syscall layer turns it into
// the {code, message} reply an app's promise rejects with.
'use strict';

const MESSAGES = {
  ENOENT: 'No such file or directory',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  EROFS: 'Read-only file system',
  EEXIST: 'File exists',
  ENOTEMPTY: 'Directory not empty',
  EINVAL: 'Invalid argument',
  ESRCH: 'No such process',
  EAGAIN: 'Resource temporarily unavailable',
  EMFILE: 'Too many open files',
  EFBIG: 'File too large',
  ENOSYS: 'Function not implemented',
  EPERM: 'Operation not permitted',
  ECHILD: 'No child processes',
  ENETDOWN: 'Network is down',
  ENETUNREACH: 'Network is unreachable',
  ETIMEDOUT: 'Connection timed out',
  EBADF: 'Bad file descriptor',
  EBUSY: 'Device or resource busy',
  EADDRINUSE: 'Address already in use',
  EMSGSIZE: 'Message too long',
  ENOBUFS: 'No buffer space available',
  ECONNREFUSED: 'Connection refused',
  EHOSTUNREACH: 'No route to host',
  ENOSPC: 'No space left on device',
  EPIPE: 'Broken pipe',
  EXDEV: 'Invalid cross-device link',
  ELOOP: 'Too many levels of symbolic links',
  ENAMETOOLONG: 'File name too long',
  ENOTTY: 'Inappropriate ioctl for device',
  ENODEV: 'No such device',
  EIO: 'Input/output error',
};

class KernelError extends Error {
  // `subject` is the path or thing the error is about; `message` replaces the
  // standard text ("NAME: command not found" is an ENOENT about no path).
  constructor(code, subject, message) {
    super(message || (subject ? `${subject}: ${MESSAGES[code] || code}` : MESSAGES[code] || code));
    this.code = code;
    if (!message) this.path = subject;
  }
}

module.exports = { KernelError, MESSAGES };
