// One exception type for every failure pgbak reports; caught once in main.
#pragma once

#include <stdexcept>
#include <string>

namespace pgbak {

// A failure: the message reads "<what failed>: <why>" and main prints it as "pgbak: <message>".
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Bad command line or configuration: exit code 2 instead of 1.
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& message) : Error(message) {}
};

// A failed system call: the Error, plus its errno for callers that act on the cause (e.g. a
// full disk).
class SystemError : public Error {
 public:
  SystemError(const std::string& message, int err) : Error(message), err_(err) {}
  int err() const { return err_; }

 private:
  int err_;
};

// Throws SystemError("<what> '<path>': <strerror(err)>", err).
[[noreturn]] void throw_sys(const std::string& what, const std::string& path, int err);
// Same, with the current errno.
[[noreturn]] void throw_sys(const std::string& what, const std::string& path);

}  // namespace pgbak
