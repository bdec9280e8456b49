#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "portal/config/config.hpp"

namespace fs = std::filesystem;
using namespace portal::config;

namespace {

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end() || it->second.empty()) return std::nullopt;
    return it->second;
  };
}

ConfigFile two_profiles() {
  ConfigFile f;
  f.current_profile = "prod";
  f.profiles["prod"].base_url = "https://portal.example";
  f.profiles["prod"].email = "m@x.example";
  f.profiles["prod"].ca_file = "~/ca.pem";
  f.profiles["staging"].base_url = "https://staging.example/";
  return f;
}

class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/provportal-config-test-XXXXXX";
    m_dir = ::mkdtemp(tmpl);
  }
  void TearDown() override { fs::remove_all(m_dir); }
  fs::path m_dir;
};

}  // namespace

TEST(Resolve, DefaultsPointAtTheLocalSandbox) {
  auto r = resolve({}, {}, env_of({{"HOME", "/home/u"}}));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->profile_name, "default");
  EXPECT_EQ(r->profile.base_url, "https://localhost:8443");
  EXPECT_EQ(r->profile.ca_file, "/home/u/.local/share/provportal-sandbox/ca.pem");
  EXPECT_TRUE(r->base_url_is_default);
}

TEST(Resolve, XdgDataHomeMovesTheSandboxCa) {
  auto r = resolve({}, {}, env_of({{"HOME", "/home/u"}, {"XDG_DATA_HOME", "/data"}}));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->profile.ca_file, "/data/provportal-sandbox/ca.pem");
}

TEST(Resolve, ConfigBeatsDefaultsAndExpandsHome) {
  auto r = resolve(two_profiles(), {}, env_of({{"HOME", "/home/u"}}));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->profile_name, "prod");
  EXPECT_EQ(r->profile.base_url, "https://portal.example");
  EXPECT_EQ(r->profile.ca_file, "/home/u/ca.pem");
  EXPECT_EQ(r->profile.email, "m@x.example");
  EXPECT_FALSE(r->base_url_is_default);
}

TEST(Resolve, EnvBeatsConfig) {
  auto r =
      resolve(two_profiles(), {},
              env_of({{"PROVPORTAL_PROFILE", "staging"}, {"PROVPORTAL_CA_FILE", "/etc/ca.pem"}}));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->profile_name, "staging");
  EXPECT_EQ(r->profile.base_url, "https://staging.example");  // trailing slash dropped
  EXPECT_EQ(r->profile.ca_file, "/etc/ca.pem");
}

TEST(Resolve, FlagsBeatEnv) {
  FlagOverrides flags;
  flags.profile = "prod";
  flags.base_url = "https://flag.example";
  auto r = resolve(
      two_profiles(), flags,
      env_of({{"PROVPORTAL_PROFILE", "staging"}, {"PROVPORTAL_BASE_URL", "https://env.example"}}));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->profile_name, "prod");
  EXPECT_EQ(r->profile.base_url, "https://flag.example");
  EXPECT_EQ(r->profile.email, "m@x.example");
}

TEST(Resolve, UnknownProfileIsAUsageError) {
  FlagOverrides flags;
  flags.profile = "prdo";
  auto r = resolve(two_profiles(), flags, env_of({}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, portal::ErrorKind::usage);
  EXPECT_NE(r.error().hint.find("prod"), std::string::npos);
}

TEST(Resolve, UnknownProfileWithABaseUrlIsAllowed) {
  FlagOverrides flags;
  flags.profile = "ci";
  flags.base_url = "https://127.0.0.1:9443";
  auto r = resolve({}, flags, env_of({}));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->profile_name, "ci");
  EXPECT_TRUE(r->profile.ca_file.empty());
}

TEST(Resolve, RefusesProfileNamesThatAreNotFileNames) {
  FlagOverrides flags;
  flags.profile = "../x";
  flags.base_url = "https://h";
  EXPECT_FALSE(resolve({}, flags, env_of({})));
}

TEST(Keys, GetAndSetAcceptSnakeAndKebabCase) {
  Profile p;
  ASSERT_TRUE(set_key(p, "totp-secret-file", "/s"));
  EXPECT_EQ(*get_key(p, "totp_secret_file"), "/s");
  EXPECT_FALSE(set_key(p, "colour", "x"));
  EXPECT_EQ(get_key(p, "colour").error().kind, portal::ErrorKind::usage);
}

TEST_F(TempDir, SaveThenLoadRoundTripsAndIsPrivate) {
  fs::path path = m_dir / "sub" / "config.yaml";
  ConfigFile f = two_profiles();
  f.profiles["prod"].password_file = "/p: with colon";
  ASSERT_TRUE(save_config(path, f));
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto back = load_config(path);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->current_profile, "prod");
  EXPECT_EQ(back->profiles.at("prod").password_file, "/p: with colon");
  EXPECT_EQ(back->profiles.at("staging").base_url, "https://staging.example/");
  for (const auto& e : fs::directory_iterator(path.parent_path())) {
    EXPECT_EQ(e.path().filename(), "config.yaml");  // no temporary left behind
  }
}

TEST_F(TempDir, MissingFileIsEmptyAndBadYamlNamesTheLine) {
  auto none = load_config(m_dir / "nope.yaml");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->profiles.empty());
  fs::path bad = m_dir / "bad.yaml";
  std::ofstream(bad) << "profiles:\n  prod: {base_url: [\n";
  auto r = load_config(bad);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, portal::ErrorKind::input);
  EXPECT_NE(r.error().message.find("bad.yaml:"), std::string::npos);
}

TEST_F(TempDir, UnknownKeyInTheFileIsReported) {
  fs::path p = m_dir / "c.yaml";
  std::ofstream(p) << "profiles:\n  prod:\n    base_ur1: https://x\n";
  auto r = load_config(p);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("base_ur1"), std::string::npos);
}

TEST(Paths, FollowXdgConfigHome) {
  EXPECT_EQ(config_path(env_of({{"XDG_CONFIG_HOME", "/c"}})),
            fs::path("/c/provportal/config.yaml"));
  EXPECT_EQ(sessions_dir(env_of({{"HOME", "/h"}})), fs::path("/h/.config/provportal/sessions"));
}
