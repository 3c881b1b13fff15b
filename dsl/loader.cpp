// Reading rule files: files and folders from disk, `include` (relative to the
// including file, inside the rule set's folder, cycles detected), the size and
// encoding checks, then parse_source (dsl/parser.cpp) for each file.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "dsl/parser.hpp"
#include "kb/limits.hpp"

namespace advise {

namespace {

// "52,428,800 bytes; a rule file may be at most 16 MiB (16,777,216 bytes)",
// after "the file is" or "`x.rules` is".
std::string too_large(std::uintmax_t size) {
  return size_limit_message("", size, "a rule file", kMaxSourceBytes).substr(4);
}

}  // namespace

bool check_encoding(const SourceManager& sm, std::uint32_t file_id, Diagnostics& diags) {
  const std::string& t = sm.text(file_id);
  if (t.size() > kMaxSourceBytes) {
    diags.report_file(DiagKind::FileTooLarge, sm.name(file_id), "the file is " + too_large(t.size()));
    return false;
  }
  // UTF-8 validation (RFC 3629: no overlongs, no surrogates, at most U+10FFFF) and no NUL.
  // A lone byte over 0x7f is most often an accented letter from an editor
  // that saved in a Western single-byte encoding.
  static const std::string kLatin1 = "; the file may have been saved as Latin-1 or Windows-1252";
  std::size_t i = 0;
  auto bad = [&](std::size_t at, const std::string& why) {
    diags.report(DiagKind::InvalidUtf8, {file_id, static_cast<std::uint32_t>(at), static_cast<std::uint32_t>(at + 1)},
                 why);
    return false;
  };
  while (i < t.size()) {
    auto c = static_cast<unsigned char>(t[i]);
    if (c == 0) return bad(i, "the file contains a NUL byte; it looks like a binary file, not rules");
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return bad(i, "the file is not valid UTF-8 text: byte 0x" + std::string(1, "0123456789abcdef"[c >> 4]) +
                        std::string(1, "0123456789abcdef"[c & 15]) + " cannot start a character" + kLatin1);
    }
    for (std::size_t k = 1; k <= n; ++k) {
      if (i + k >= t.size()) return bad(i, "the file ends in the middle of a UTF-8 character");
      auto cc = static_cast<unsigned char>(t[i + k]);
      if ((cc & 0xC0) != 0x80)
        return bad(i, "the file is not valid UTF-8 text: byte 0x" + std::string(1, "0123456789abcdef"[c >> 4]) +
                          std::string(1, "0123456789abcdef"[c & 15]) + " does not start a complete character" +
                          kLatin1);
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return bad(i, "the file is not valid UTF-8 text (an invalid character encoding)");
    i += n + 1;
  }
  return true;
}

namespace {

namespace fs = std::filesystem;

// Whether canonical path `p` lies inside canonical folder `root`.
bool inside(const fs::path& p, const fs::path& root) {
  fs::path rel = p.lexically_relative(root);
  return !rel.empty() && *rel.begin() != ".." && rel != ".";
}

std::string lowercase_first(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

struct Loader {
  SourceManager& sm;
  Diagnostics& diags;
  RuleStream* stream;  // null: rules kept in File::rules
  LoadedRules result;
  std::map<std::string, bool> state;  // canonical path -> finished?
  std::vector<std::string> chain;     // canonical paths on the current include chain
  // The folder of the rule set being loaded (the folder given, or the folder
  // of the file given), symbolic links resolved: includes stay inside it.
  fs::path root;
  std::string root_shown;  // as the user wrote it

  void set_root(const fs::path& folder) {
    std::error_code ec;
    fs::path f = folder.empty() ? fs::path(".") : folder;
    root = fs::weakly_canonical(fs::absolute(f, ec), ec);
    root_shown = f.lexically_normal().string();
    if (root_shown.size() > 1 && root_shown.back() == '/') root_shown.pop_back();
  }

  // Why a file could not be read: a value, so that each caller words its
  // own message (an include, a file given) without taking one apart.
  struct ReadFailure {
    enum class Kind : std::uint8_t { Directory, NotRegular, TooLarge, CannotRead, CannotOpen } kind;
    std::uintmax_t size = 0;  // TooLarge: the file's size
    std::string reason;       // CannotRead, CannotOpen: the system's reason
  };

  // Reads a regular file of at most kMaxSourceBytes.
  std::optional<ReadFailure> read(const fs::path& path, std::string& out) {
    using K = ReadFailure::Kind;
    std::error_code ec;
    fs::file_status st = fs::status(path, ec);
    if (fs::is_directory(st)) return ReadFailure{K::Directory, 0, {}};
    if (fs::exists(st) && !fs::is_regular_file(st)) return ReadFailure{K::NotRegular, 0, {}};
    auto size = fs::file_size(path, ec);
    if (ec) return ReadFailure{K::CannotRead, 0, ec.message()};
    if (size > kMaxSourceBytes) return ReadFailure{K::TooLarge, size, {}};
    std::ifstream f(path, std::ios::binary);
    if (!f) return ReadFailure{K::CannotOpen, 0, lowercase_first(std::strerror(errno))};
    std::ostringstream ss;
    ss << f.rdbuf();
    out = ss.str();
    return std::nullopt;
  }

  // `include "PATH"` in the file at `from`: confined to the rule set's folder,
  // and to `.rules` files, before anything of the file is read.
  void include(const fs::path& from, const std::string& from_shown, const ast::Include& inc, std::uint32_t id) {
    const std::string written = inc.path.joined();
    auto refuse = [&](DiagKind kind, const std::string& why) {
      diags.report(kind, inc.path.loc, "cannot include `" + written + "`: " + why);
    };
    if (written.empty()) {
      diags.report(DiagKind::IncludeNotFound, inc.path.loc,
                   "the path to include is empty; write the file to include between the quotes, relative to this "
                   "file");
      return;
    }
    fs::path target = from.parent_path() / written;
    std::string shown = (fs::path(from_shown).parent_path() / written).lexically_normal().string();
    std::error_code ec;
    fs::path canon = fs::weakly_canonical(fs::absolute(target, ec), ec);
    if (ec || !inside(canon, root)) {
      refuse(DiagKind::PathRefused, "it is outside the folder of the rule set (`" + root_shown +
                                           "`); only files inside that folder can be included");
      return;
    }
    fs::file_status st = fs::status(canon, ec);
    if (!fs::exists(st)) {
      refuse(DiagKind::IncludeNotFound, "no such file (looked for " + shown + ")");
      return;
    }
    if (fs::is_directory(st)) {
      refuse(DiagKind::IncludeNotFound, "it is a directory (looked for " + shown + ")");
      return;
    }
    if (!fs::is_regular_file(st)) {
      refuse(DiagKind::PathRefused, "it is not a regular file (a device, a pipe or a socket)");
      return;
    }
    if (canon.extension() != ".rules") {
      refuse(DiagKind::PathRefused,
             canon.filename() == target.filename()
                 ? "only `.rules` files can be included"
                 : "it is a link to `" + canon.filename().string() + "`, and only `.rules` files can be included");
      return;
    }
    load(target, shown, &inc, id);
  }

  void load(const fs::path& path, const std::string& shown, const ast::Include* from, std::uint32_t from_file) {
    std::error_code ec;
    fs::path canon = fs::weakly_canonical(path, ec);
    std::string key = ec ? path.string() : canon.string();
    auto it = state.find(key);
    if (it != state.end()) {
      if (!it->second && from) {
        // On the current chain: a cycle.
        Diagnostic& d = diags.report(DiagKind::IncludeCycle, from->path.loc,
                                     "including `" + from->path.joined() + "` makes a cycle");
        auto pos = std::find(chain.begin(), chain.end(), key);
        std::string cyc;
        for (auto c = pos; c != chain.end(); ++c) cyc += fs::path(*c).filename().string() + " -> ";
        cyc += fs::path(key).filename().string();
        d.notes().push_back({{}, false, "the cycle: " + cyc});
        (void)from_file;
      }
      return;  // already loaded: each file once
    }
    std::string text;
    if (auto failure = read(path, text)) {
      using K = ReadFailure::Kind;
      if (from) {
        if (failure->kind == K::TooLarge) {
          diags.report(DiagKind::FileTooLarge, from->path.loc,
                       "`" + from->path.joined() + "` is " + too_large(failure->size));
        } else {
          diags.report(DiagKind::IncludeNotFound, from->path.loc,
                       "cannot include `" + from->path.joined() + "`: " +
                           (failure->kind == K::Directory    ? "it is a directory"
                            : failure->kind == K::NotRegular ? "it is not a regular file"
                            : failure->kind == K::CannotOpen ? "the file cannot be opened"
                                                             : "no such file") +
                           " (looked for " + shown + ")");
        }
      } else if (failure->kind == K::TooLarge) {
        diags.report_file(DiagKind::FileTooLarge, shown, "the file is " + too_large(failure->size));
      } else if (failure->kind == K::NotRegular) {
        diags.report_file(DiagKind::NotAFile, shown,
                          "it is not a regular file (a device, a pipe or a socket); give a `.rules` file or a "
                          "directory of them");
      } else {
        diags.report_file(DiagKind::IoError, shown,
                          failure->kind == K::Directory    ? "is a directory"
                          : failure->kind == K::CannotRead ? "cannot read: " + failure->reason
                                                           : "cannot open the file (" + failure->reason + ")");
      }
      return;
    }
    state[key] = false;
    chain.push_back(key);
    // A file that is not a `.rules` file (given by name) may hold anything:
    // its text is never quoted, and only its first problem is reported.
    bool rules_file = path.extension() == ".rules" && (ec || canon.extension() == ".rules");
    std::uint32_t id = sm.add(shown, std::move(text), rules_file);
    Diagnostics own;
    if (check_encoding(sm, id, own)) {
      if (stream) stream->begin(most_rules(sm.text(id)));
      ast::File file = parse_source(sm, id, own, rules_file ? stream : nullptr);
      if (rules_file || !own.has_errors()) {
        std::vector<ast::Include> incs = file.includes;
        if (stream && !rules_file && !file.rules.empty()) {
          // Kept until the file was known to be accepted; in the order parsed.
          // The stream takes all of them or none (whether it takes depends on
          // what the file and those before it declare, not on the rule).
          bool taken = true;
          for (ast::Rule& r : file.rules) taken = stream->rule(r, file) && taken;
          if (taken) {
            file.rules.clear();
            std::erase_if(file.items, [](const ast::Item& i) { return i.kind == ast::ItemKind::Rule; });
          }
        }
        result.files.push_back(std::move(file));
        if (stream) stream->accepted(result.files.back());
        diags.append(std::move(own));
        for (const ast::Include& inc : incs) include(path, shown, inc, id);
      } else {
        for (const Diagnostic& d : own.all()) {
          if (d.severity != Severity::Error) continue;
          Diagnostic first = d;
          first.notes() = {{{}, false, "the file is not a `.rules` file: only its first problem is shown, and none of its text"}};
          diags.append_one(std::move(first));
          break;
        }
      }
    } else {
      diags.append(std::move(own));
    }
    chain.pop_back();
    state[key] = true;
  }
};

}  // namespace

LoadedRules load_rules(const std::vector<std::string>& paths, SourceManager& sm, Diagnostics& diags,
                       RuleStream* stream) {
  Loader l{sm, diags, stream, {}, {}, {}, {}, {}};
  for (const std::string& p : paths) {
    std::error_code ec;
    fs::path path(p);
    if (fs::is_directory(path, ec)) {
      l.set_root(path);
      std::vector<fs::path> found;
      for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator();
           it.increment(ec)) {
        if (it->is_regular_file() && it->path().extension() == ".rules") found.push_back(it->path());
      }
      std::sort(found.begin(), found.end());
      if (found.empty()) diags.report_file(DiagKind::NotAFile, p, "the directory holds no `.rules` files");
      for (const fs::path& f : found) {
        std::string shown = f.lexically_normal().string();
        fs::path canon = fs::weakly_canonical(f, ec);
        if (ec || !inside(canon, l.root) || canon.extension() != ".rules") {
          // A symbolic link out of the folder (or to another kind of file).
          diags.report_file(DiagKind::PathRefused, shown,
                            "it is a link to a file outside the folder `" + l.root_shown +
                                "` (or not a `.rules` file); only `.rules` files inside the folder are read");
          continue;
        }
        l.load(f, shown, nullptr, 0);
      }
    } else if (!fs::exists(path, ec)) {
      diags.report_file(DiagKind::IoError, p, "no such file or directory");
    } else {
      l.set_root(path.parent_path());
      l.load(path, p, nullptr, 0);
    }
  }
  return std::move(l.result);
}

}  // namespace advise
