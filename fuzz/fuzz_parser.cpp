// libFuzzer harness: the PEGTL parser, then the checker against the real
// knowledge base, then the formatter on files that check clean.
//
// A finding is a crash, a sanitizer report, a hang, or a formatted file that
// does not parse back, or whose second formatting differs (printer.hpp
// promises both).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "dsl/checker.hpp"
#include "dsl/diagnostics.hpp"
#include "dsl/parser.hpp"
#include "dsl/printer.hpp"
#include "kb/knowledge_base.hpp"

namespace {

std::shared_ptr<const advise::KnowledgeBase> knowledge_base() {
  static std::shared_ptr<const advise::KnowledgeBase> kb = [] {
    const char* dir = std::getenv("ADVISE_KB_DIR");
    std::vector<advise::DataError> errors;
    auto loaded = advise::load_knowledge_base(dir ? dir : ADVISE_SOURCE_DIR "/kb", errors);
    if (!loaded) {
      for (const auto& e : errors) std::fprintf(stderr, "%s\n", e.text().c_str());
      std::abort();
    }
    return std::make_shared<const advise::KnowledgeBase>(std::move(*loaded));
  }();
  return kb;
}

[[noreturn]] void finding(const char* what, const std::string& a, const std::string& b) {
  std::fprintf(stderr, "FINDING: %s\n--- first:\n%s\n--- second:\n%s\n", what, a.c_str(), b.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace advise;
  auto kb = knowledge_base();
  auto sm = std::make_shared<SourceManager>();
  std::uint32_t id = sm->add("fuzz.rules", std::string(reinterpret_cast<const char*>(data), size));
  Diagnostics diags;
  if (!check_encoding(*sm, id, diags)) return 0;
  LoadedRules loaded;
  loaded.files.push_back(parse_source(*sm, id, diags));
  bool parsed_clean = !diags.has_errors();
  check_rules(loaded, kb, sm, diags);
  // Rendering reads the source lines and spans of every diagnostic.
  (void)render_text(*sm, diags);
  (void)render_json(*sm, diags);

  if (parsed_clean) {
    std::string once = format_file(loaded.files[0], *sm);
    std::uint32_t id2 = sm->add("formatted.rules", once);
    Diagnostics d2;
    ast::File again = parse_source(*sm, id2, d2);
    if (d2.has_errors()) finding("the formatted file does not parse", sm->text(id), once + "\n" + render_text(*sm, d2));
    std::string twice = format_file(again, *sm);
    if (twice != once) finding("formatting is not idempotent", once, twice);
  }
  return 0;
}
