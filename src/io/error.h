// One exception type for every failure pgbak reports, caught once in main. Each Error says what
// kind of failure it is, so that code expecting one outcome (a damaged copy, a bad key) handles
// exactly that kind and lets the others (a full disk, an I/O error) through.
#pragma once

#include <stdexcept>
#include <string>

namespace pgbak {

enum class ErrorKind {
  kFailed,   // an operation could not be done: a refusal, a failing program, a timeout
  kIo,       // a system call failed; Error::err() is its errno
  kCorrupt,  // data is damaged or not what it claims to be: checksum, frame, header, format
  kAuth,     // encrypted data failed authentication
  kUsage,    // bad command line, setting or configuration: exit code 2 instead of 1
};

// A failure: the message reads "<what failed>: <why>" and main prints it as "pgbak: <message>".
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, ErrorKind kind = ErrorKind::kFailed, int err = 0)
      : std::runtime_error(message), kind_(kind), err_(err) {}
  ErrorKind kind() const noexcept { return kind_; }
  // The errno of a failed system call (kind kIo), else 0.
  int err() const noexcept { return err_; }

 private:
  ErrorKind kind_;
  int err_;
};

// The kinds as types, so that a catch names the kind it handles.
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& message) : Error(message, ErrorKind::kUsage) {}
};

class SystemError : public Error {
 public:
  SystemError(const std::string& message, int err) : Error(message, ErrorKind::kIo, err) {}
};

class CorruptError : public Error {
 public:
  explicit CorruptError(const std::string& message) : Error(message, ErrorKind::kCorrupt) {}
};

class AuthError : public Error {
 public:
  explicit AuthError(const std::string& message) : Error(message, ErrorKind::kAuth) {}
};

// Throws SystemError("<what> '<path>': <strerror(err)>", err).
[[noreturn]] void throw_sys(const std::string& what, const std::string& path, int err);
// Same, with the current errno.
[[noreturn]] void throw_sys(const std::string& what, const std::string& path);

}  // namespace pgbak
