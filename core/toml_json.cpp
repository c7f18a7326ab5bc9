/*
 * toml_json.cpp: TOML to JSON through toml++ (Debian libtomlplusplus-dev, used
 * header-only, exceptions off), for `victor-lua rules import-gitleaks`: the one C++
 * translation unit of victor-lua, behind a C function (toml_json.h). Lua decodes
 * the JSON with lua-cjson.
 */
#define TOML_EXCEPTIONS 0
#define TOML_HEADER_ONLY 1
#define TOML_ENABLE_WINDOWS_COMPAT 0
#include <toml++/toml.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>

#include "toml_json.h"

extern "C" int vl_toml_to_json(const char *src, size_t n, char **out, size_t *outlen, vl_toml_error *err)
{
  *out = NULL;
  *outlen = 0;
  toml::parse_result r = toml::parse(std::string_view(src, n));
  if (!r) {
    const toml::parse_error &e = r.error();
    if (err) {
      std::string d(e.description());
      std::snprintf(err->message, sizeof err->message, "%s", d.c_str());
      err->line = (size_t)e.source().begin.line;
      err->column = (size_t)e.source().begin.column;
    }
    return VL_EPARSE;
  }
  std::ostringstream os;
  os << toml::json_formatter{r.table(), toml::format_flags::quote_dates_and_times};
  std::string s = os.str();
  char *b = (char *)std::malloc(s.size() + 1);
  if (!b) return VL_ENOMEM;
  std::memcpy(b, s.data(), s.size() + 1);
  *out = b;
  *outlen = s.size();
  return VL_OK;
}
