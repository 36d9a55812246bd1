#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

#include <wirekit/services/builtin.hpp>
#include <wirekit/services/config.hpp>

namespace wirekit::services {

namespace {

Error bad_at(const toml::node& n, const std::string& file, const std::string& what) {
  return Error(errc::invalid_argument, fmt::format("{}:{}: {}", file, n.source().begin.line, what));
}

}  // namespace

struct ConfigSection::Source {
  const toml::table& table;
  std::string name;
  const std::string& file;
  std::set<std::string> known = {};

  const toml::node* lookup(const char* key) {
    known.insert(key);
    return table.get(key);
  }
  Error bad(const toml::node& n, const std::string& what) const { return bad_at(n, file, what); }
};

const std::string& ConfigSection::name() const noexcept {
  return source_.name;
}

void ConfigSection::fail(const char* key, const std::string& what) {
  const toml::node* n = source_.lookup(key);
  throw n != nullptr ? source_.bad(*n, what)
                     : Error(errc::invalid_argument, source_.file + ": " + what);
}

void ConfigSection::refuse_unknown_keys() const {
  for (const auto& [key, node] : source_.table) {
    if (!source_.known.contains(std::string(key.str()))) {
      throw source_.bad(node, fmt::format("unknown key '{}' in [{}]", key.str(), source_.name));
    }
  }
}

bool ConfigSection::boolean(const char* key, bool fallback) {
  const toml::node* n = source_.lookup(key);
  if (n == nullptr) return fallback;
  if (const auto v = n->value<bool>()) return *v;
  throw source_.bad(*n, fmt::format("[{}] {} must be true or false", source_.name, key));
}

std::int64_t ConfigSection::integer(const char* key, std::int64_t fallback, std::int64_t min,
                                    std::int64_t max) {
  const toml::node* n = source_.lookup(key);
  if (n == nullptr) return fallback;
  const auto v = n->value<std::int64_t>();
  if (!v || *v < min || *v > max) {
    throw source_.bad(*n, fmt::format("[{}] {} must be a whole number from {} to {}", source_.name,
                                      key, min, max));
  }
  return *v;
}

std::string ConfigSection::text(const char* key, std::string fallback) {
  const toml::node* n = source_.lookup(key);
  if (n == nullptr) return fallback;
  if (const auto v = n->value<std::string>()) return *v;
  throw source_.bad(*n, fmt::format("[{}] {} must be a string", source_.name, key));
}

std::string ConfigSection::choice(const char* key, std::string fallback,
                                  std::initializer_list<std::string_view> choices) {
  std::string value = text(key, std::move(fallback));
  for (const std::string_view c : choices) {
    if (value == c) return value;
  }
  std::string listed;
  std::size_t i = 0;
  for (const std::string_view c : choices) {
    if (i > 0) listed += i + 1 == choices.size() ? " or " : ", ";
    listed += fmt::format("\"{}\"", c);
    ++i;
  }
  fail(key, fmt::format("[{}] {} must be {}", source_.name, key, listed));
}

Duration ConfigSection::duration(const char* key, Duration fallback) {
  const toml::node* n = source_.lookup(key);
  if (n == nullptr) return fallback;
  const auto v = n->value<std::string>();
  if (!v) {
    throw source_.bad(
        *n, fmt::format("[{}] {} must be a duration string such as \"10s\"", source_.name, key));
  }
  try {
    return parse_duration(*v);
  } catch (const Error&) {
    throw source_.bad(*n,
                      fmt::format("[{}] {}: invalid duration '{}' (expected e.g. 500ms, 10s, 1m)",
                                  source_.name, key, *v));
  }
}

std::vector<std::string> ConfigSection::strings(const char* key) {
  const toml::node* n = source_.lookup(key);
  if (n == nullptr) return {};
  std::vector<std::string> out;
  const toml::array* array = n->as_array();
  if (array != nullptr) {
    for (const toml::node& item : *array) {
      if (const auto v = item.value<std::string>()) {
        out.push_back(*v);
      } else {
        array = nullptr;
        break;
      }
    }
  }
  if (array == nullptr) {
    throw source_.bad(*n, fmt::format("[{}] {} must be a list of strings", source_.name, key));
  }
  return out;
}

Endpoint ConfigSection::endpoint(const Endpoint& fallback) {
  return Endpoint{text("host", fallback.host),
                  static_cast<std::uint16_t>(integer("port", fallback.port, 0, 65535))};
}

Blocking ConfigSection::blocking() {
  Blocking b;
  b.after = static_cast<std::uint32_t>(integer("block_after", 0, 0, UINT32_MAX));
  b.window = duration("block_window", b.window);
  b.allow = strings("allow");
  b.deny = strings("deny");
  try {
    make_blocker(b);  // validates the networks now, with the file's name on the error
  } catch (const Error& e) {
    throw Error(errc::invalid_argument,
                fmt::format("{}: [{}] {}", source_.file, source_.name, e.what()));
  }
  return b;
}

namespace {

// The service `kind` describes with `table`, or null when the table says enabled = false.
std::unique_ptr<Service> configure(const ServiceKind& kind, const toml::table& table,
                                   const std::string& file) {
  ConfigSection::Source source{table, kind.section, file};
  ConfigSection section(source);
  std::unique_ptr<Service> service = kind.from_config(section);
  const bool enabled = section.boolean("enabled", true);
  section.refuse_unknown_keys();
  return enabled ? std::move(service) : nullptr;
}

std::string expected_sections(const Registry& registry) {
  std::string out = "server";
  for (const ServiceKind& kind : registry.kinds()) out += ", " + kind.section;
  return out;
}

}  // namespace

ServerConfig parse_server_config(std::string_view toml_text, const std::string& source_name,
                                 const Registry& registry) {
  toml::table root;
  try {
    root = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& e) {
    throw Error(errc::invalid_argument,
                fmt::format("{}:{}: {}", source_name, e.source().begin.line, e.description()));
  }
  for (const auto& [key, node] : root) {
    const std::string name(key.str());
    const bool known = name == "server" ? node.is_table() : registry.find(name) != nullptr;
    if (!known) {
      throw bad_at(
          node, source_name,
          fmt::format("unknown section [{}] (expected {})", name, expected_sections(registry)));
    }
  }
  ServerConfig config;
  {
    const toml::table empty;
    const toml::table* t = root.get_as<toml::table>("server");
    ConfigSection::Source source{t != nullptr ? *t : empty, "server", source_name};
    ConfigSection s(source);
    config.threads = static_cast<std::size_t>(s.integer("threads", 0, 0, 1024));
    config.serve.shutdown_grace = s.duration("shutdown_grace", config.serve.shutdown_grace);
    config.serve.max_connections = static_cast<std::size_t>(s.integer(
        "max_connections", static_cast<std::int64_t>(config.serve.max_connections), 1, 10'000'000));
    s.refuse_unknown_keys();
  }
  // In the registry's order; a kind's [[sections]] in the file's order.
  for (const ServiceKind& kind : registry.kinds()) {
    const toml::node* node = root.get(kind.section);
    if (node == nullptr) continue;
    std::vector<const toml::table*> tables;
    if (const toml::table* table = node->as_table()) {
      tables.push_back(table);
    } else if (const toml::array* array = node->as_array(); array != nullptr) {
      for (const toml::node& item : *array) {
        if (!item.is_table()) {
          throw bad_at(item, source_name,
                       fmt::format("[[{}]] must be a list of tables", kind.section));
        }
        tables.push_back(item.as_table());
      }
    } else {
      throw bad_at(
          *node, source_name,
          fmt::format("[{}] must be a table (or [[{}]] tables)", kind.section, kind.section));
    }
    for (const toml::table* table : tables) {
      if (auto service = configure(kind, *table, source_name)) {
        config.services.push_back(std::move(service));
      }
    }
  }
  return config;
}

ServerConfig default_server_config(const Registry& registry) {
  ServerConfig config;
  const toml::table empty;
  for (const ServiceKind& kind : registry.kinds()) {
    config.services.push_back(configure(kind, empty, "defaults"));
  }
  return config;
}

RunOptions run_options(const ServerConfig& config) {
  RunOptions options;
  options.threads = config.threads;
  options.serve = config.serve;
  return options;
}

ServerConfig load_server_config(const std::string& path, const Registry& registry) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(std::error_code(errno, std::system_category()), "read config " + path);
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_server_config(text.str(), path, registry);
}

}  // namespace wirekit::services
