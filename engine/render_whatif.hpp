// Renderers of a what-if answer (engine/whatif.hpp): text for a terminal,
// JSON for programs (docs/cli.md, "advise what-if"), Markdown for a document.
// They return strings and never print; the same answer renders to the same bytes.
#pragma once

#include <string>
#include <vector>

#include "engine/whatif.hpp"

namespace advise {

struct WhatIfHeader {
  std::string profile_source;  // the profile's file, as given
  std::string applicant;       // its `name`, may be empty
  std::vector<std::string> rules;  // the rules and knowledge base searched over, as given
  std::string kb;
};

std::string render_whatif_text(const WhatIf& w, const WhatIfHeader& h);
std::string render_whatif_json(const WhatIf& w, const WhatIfHeader& h, const KnowledgeBase& kb);
std::string render_whatif_markdown(const WhatIf& w, const WhatIfHeader& h);

}  // namespace advise
