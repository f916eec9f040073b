#include "registry/registry_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "storage/sqlite_database.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sluice::registry {
namespace {

using ::sluice::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

class RegistryStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = storage::OpenSqliteDatabase(dir_ / "sluice.db");
    ASSERT_OK(db);
    db_ = std::move(*db);
    auto tracking = tracking::TrackingStore::Open(*db_, clock_);
    ASSERT_OK(tracking);
    tracking_ = std::move(*tracking);
    auto store = RegistryStore::Open(*db_, *tracking_, clock_);
    ASSERT_OK(store);
    store_ = std::move(*store);
  }

  tracking::Run NewRun() {
    auto run = tracking_->CreateRun({.experiment_id = "0"});
    EXPECT_OK(run);
    return run.ok() ? *run : tracking::Run{};
  }

  std::string NewVersion(const std::string& name) {
    auto v = store_->CreateModelVersion({.name = name, .source = "s3://bucket/model"});
    EXPECT_OK(v);
    return v.ok() ? v->version : "";
  }

  std::vector<std::string> Actions(const std::string& name) {
    auto h = store_->History(name);
    EXPECT_OK(h);
    std::vector<std::string> out;
    if (h.ok()) {
      for (const AuditEntry& e : *h) out.push_back(e.action);
    }
    return out;
  }

  std::vector<std::string> EventTypes() {
    auto events = store_->EventsAfter(0);
    EXPECT_OK(events);
    std::vector<std::string> out;
    if (events.ok()) {
      for (const Event& e : *events) out.push_back(e.type);
    }
    return out;
  }

  sluice::testing::TempDir dir_;
  FakeClock clock_{1'700'000'000'000};
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<tracking::TrackingStore> tracking_;
  std::unique_ptr<RegistryStore> store_;
};

TEST_F(RegistryStoreTest, CreateAndGetRegisteredModel) {
  ASSERT_OK_AND_ASSIGN(RegisteredModel m, store_->CreateRegisteredModel("churn", {{"team", "ml"}},
                                                                        "desc", {.actor = "ana"}));
  EXPECT_EQ(m.name, "churn");
  EXPECT_EQ(m.description, "desc");
  EXPECT_EQ(m.creation_timestamp, 1'700'000'000'000);
  ASSERT_THAT(m.tags, SizeIs(1));
  EXPECT_EQ(m.tags[0].key, "team");
  ASSERT_OK_AND_ASSIGN(RegisteredModel got, store_->GetRegisteredModel("churn"));
  EXPECT_EQ(got.description, "desc");
  EXPECT_THAT(store_->CreateRegisteredModel("churn", {}, "", {}).status(),
              StatusIs(StatusCode::kAlreadyExists,
                       "registered model 'churn' already exists; choose another name"));
  EXPECT_THAT(store_->GetRegisteredModel("nope").status(),
              StatusIs(StatusCode::kNotFound, "registered model 'nope' does not exist"));
  EXPECT_THAT(store_->CreateRegisteredModel("", {}, "", {}).status(),
              StatusIs(StatusCode::kInvalidArgument, "registered model name must not be empty"));
  ASSERT_OK_AND_ASSIGN(auto history, store_->History("churn"));
  ASSERT_THAT(history, SizeIs(1));
  EXPECT_EQ(history[0].action, "create_registered_model");
  EXPECT_EQ(history[0].actor, "ana");
  EXPECT_EQ(history[0].before, "");
  EXPECT_THAT(history[0].after, HasSubstr("\"team\":\"ml\""));
}

TEST_F(RegistryStoreTest, UpdateAndTags) {
  ASSERT_OK(store_->CreateRegisteredModel("m", {}, "", {}));
  clock_.AdvanceMillis(5);
  ASSERT_OK_AND_ASSIGN(RegisteredModel m, store_->UpdateRegisteredModel("m", "new", {}));
  EXPECT_EQ(m.description, "new");
  EXPECT_EQ(m.last_updated_timestamp, 1'700'000'000'005);
  ASSERT_OK(store_->SetRegisteredModelTag("m", {"k", "v"}, {}));
  ASSERT_OK(store_->SetRegisteredModelTag("m", {"k", "v2"}, {}));
  ASSERT_OK_AND_ASSIGN(m, store_->GetRegisteredModel("m"));
  ASSERT_THAT(m.tags, SizeIs(1));
  EXPECT_EQ(m.tags[0].value, "v2");
  ASSERT_OK(store_->DeleteRegisteredModelTag("m", "k", {}));
  ASSERT_OK(store_->DeleteRegisteredModelTag("m", "missing", {}));
  ASSERT_OK_AND_ASSIGN(m, store_->GetRegisteredModel("m"));
  EXPECT_THAT(m.tags, SizeIs(0));
  EXPECT_THAT(store_->SetRegisteredModelTag("nope", {"k", "v"}, {}),
              StatusIs(StatusCode::kNotFound, "registered model 'nope' does not exist"));
  EXPECT_THAT(
      store_->SetRegisteredModelTag("m", {"", "v"}, {}),
      StatusIs(StatusCode::kInvalidArgument, "registered model 'm': tag key must not be empty"));
  EXPECT_THAT(store_->UpdateRegisteredModel("nope", "", {}).status(),
              StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(Actions("m"), ElementsAre("create_registered_model", "update_registered_model",
                                        "set_registered_model_tag", "set_registered_model_tag",
                                        "delete_registered_model_tag"));
}

TEST_F(RegistryStoreTest, CreateModelVersionNumbersAndCreatesModel) {
  tracking::Run run = NewRun();
  ASSERT_OK_AND_ASSIGN(ModelVersion v1,
                       store_->CreateModelVersion({.name = "m",
                                                   .source = "runs:/" + run.info.run_id + "/model",
                                                   .run_id = run.info.run_id,
                                                   .tags = {{"a", "b"}},
                                                   .description = "first",
                                                   .change = {.actor = "ana"}}));
  EXPECT_EQ(v1.version, "1");
  EXPECT_EQ(v1.current_stage, "None");
  EXPECT_EQ(v1.status, "READY");
  EXPECT_EQ(v1.user_id, "ana");
  EXPECT_EQ(v1.run_id, run.info.run_id);
  ASSERT_THAT(v1.tags, SizeIs(1));
  EXPECT_EQ(NewVersion("m"), "2");
  ASSERT_OK(store_->DeleteModelVersion("m", "2", false, {}));
  EXPECT_EQ(NewVersion("m"), "3");  // numbers are never reused
  ASSERT_OK_AND_ASSIGN(RegisteredModel m, store_->GetRegisteredModel("m"));
  ASSERT_THAT(m.latest_versions, SizeIs(1));
  EXPECT_EQ(m.latest_versions[0].version, "3");
  EXPECT_THAT(Actions("m"),
              ElementsAre("create_registered_model", "create_model_version", "create_model_version",
                          "delete_model_version", "create_model_version"));
  EXPECT_THAT(EventTypes(), ElementsAre("version_created", "version_created", "version_deleted",
                                        "version_created"));
}

TEST_F(RegistryStoreTest, CreateModelVersionValidatesSource) {
  tracking::Run run = NewRun();
  const std::string& id = run.info.run_id;
  EXPECT_THAT(store_->CreateModelVersion({.name = "m", .source = ""}).status(),
              StatusIs(StatusCode::kInvalidArgument,
                       "model version source must not be empty (e.g. runs:/<run_id>/model)"));
  EXPECT_THAT(
      store_->CreateModelVersion({.name = "m", .source = "runs:/" + id + "/../x", .run_id = id})
          .status(),
      StatusIs(StatusCode::kInvalidArgument, "model version source 'runs:/" + id +
                                                 "/../x' must not contain a '..' path segment"));
  EXPECT_THAT(
      store_->CreateModelVersion({.name = "m", .source = "runs:/x/model", .run_id = "missing"})
          .status(),
      StatusIs(StatusCode::kNotFound, "run 'missing' does not exist"));
  EXPECT_THAT(
      store_->CreateModelVersion({.name = "m", .source = "runs:/other/model", .run_id = id})
          .status(),
      StatusIs(StatusCode::kInvalidArgument,
               "model version source 'runs:/other/model' names run 'other', not run '" + id + "'"));
  EXPECT_THAT(store_
                  ->CreateModelVersion(
                      {.name = "m", .source = "mlflow-artifacts:/0/elsewhere/model", .run_id = id})
                  .status(),
              StatusIs(StatusCode::kInvalidArgument,
                       "model version source 'mlflow-artifacts:/0/elsewhere/model' is not under "
                       "the artifact root '" +
                           run.info.artifact_uri + "' of run '" + id + "'"));
  ASSERT_OK(store_->CreateModelVersion(
      {.name = "m", .source = run.info.artifact_uri + "/model", .run_id = id}));
  EXPECT_THAT(store_->GetModelVersion("m", "1").status(), sluice::testing::IsOk());
  // Nothing was written for the refused ones.
  EXPECT_THAT(Actions("m"), ElementsAre("create_registered_model", "create_model_version"));
}

TEST_F(RegistryStoreTest, GetUpdateDeleteVersionErrors) {
  NewVersion("m");
  EXPECT_THAT(
      store_->GetModelVersion("m", "x").status(),
      StatusIs(StatusCode::kInvalidArgument, "model version 'x' must be a positive integer"));
  EXPECT_THAT(
      store_->GetModelVersion("m", "9").status(),
      StatusIs(StatusCode::kNotFound, "model version '9' of registered model 'm' does not exist"));
  ASSERT_OK_AND_ASSIGN(ModelVersion v, store_->UpdateModelVersion("m", "1", "d", {}));
  EXPECT_EQ(v.description, "d");
  ASSERT_OK(store_->SetModelVersionTag("m", "1", {"k", "v"}, {}));
  ASSERT_OK_AND_ASSIGN(v, store_->GetModelVersion("m", "1"));
  ASSERT_THAT(v.tags, SizeIs(1));
  ASSERT_OK(store_->DeleteModelVersionTag("m", "1", "k", {}));
  ASSERT_OK_AND_ASSIGN(v, store_->GetModelVersion("m", "1"));
  EXPECT_THAT(v.tags, SizeIs(0));
  EXPECT_THAT(store_->SetModelVersionTag("m", "2", {"k", "v"}, {}),
              StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(store_->DeleteModelVersion("m", "1.5", false, {}),
              StatusIs(StatusCode::kInvalidArgument));
}

TEST_F(RegistryStoreTest, AliasesAndDeleteWithForce) {
  NewVersion("m");
  NewVersion("m");
  EXPECT_THAT(store_->SetAlias("m", "latest", "1", {}),
              StatusIs(StatusCode::kInvalidArgument,
                       "alias 'latest' is reserved ('latest' and 'v<number>' name versions "
                       "already); choose another name"));
  EXPECT_THAT(store_->SetAlias("m", "v3", "1", {}), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_TRUE(IsReservedAlias("v12"));
  EXPECT_FALSE(IsReservedAlias("v1x"));
  EXPECT_FALSE(IsReservedAlias("v"));
  EXPECT_THAT(
      store_->SetAlias("m", "prod", "7", {}),
      StatusIs(StatusCode::kNotFound, "model version '7' of registered model 'm' does not exist"));
  ASSERT_OK(store_->SetAlias("m", "prod", "1", {}));
  ASSERT_OK(store_->SetAlias("m", "prod", "2", {}));
  ASSERT_OK_AND_ASSIGN(ModelVersion v, store_->GetModelVersionByAlias("m", "prod"));
  EXPECT_EQ(v.version, "2");
  EXPECT_THAT(v.aliases, ElementsAre("prod"));
  ASSERT_OK_AND_ASSIGN(RegisteredModel m, store_->GetRegisteredModel("m"));
  EXPECT_THAT(m.aliases, ElementsAre(Alias{"prod", "2"}));
  EXPECT_THAT(store_->GetModelVersionByAlias("m", "nope").status(),
              StatusIs(StatusCode::kInvalidArgument, "registered model 'm' has no alias 'nope'"));
  EXPECT_THAT(store_->DeleteModelVersion("m", "2", false, {}),
              StatusIs(StatusCode::kFailedPrecondition,
                       "model version '2' of registered model 'm' is pointed at by aliases prod; "
                       "move or delete them first, or delete with force"));
  ASSERT_OK(store_->DeleteModelVersion("m", "2", true, {.actor = "bob"}));
  EXPECT_THAT(store_->GetModelVersionByAlias("m", "prod").status(),
              StatusIs(StatusCode::kInvalidArgument));
  ASSERT_OK(store_->SetAlias("m", "stage", "1", {}));
  ASSERT_OK(store_->DeleteAlias("m", "stage", {}));
  EXPECT_THAT(store_->DeleteAlias("m", "stage", {}), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(Actions("m"),
              ElementsAre("create_registered_model", "create_model_version", "create_model_version",
                          "set_alias", "set_alias", "delete_alias", "delete_model_version",
                          "set_alias", "delete_alias"));
  EXPECT_THAT(EventTypes(),
              ElementsAre("version_created", "version_created", "alias_set", "alias_set",
                          "alias_deleted", "version_deleted", "alias_set", "alias_deleted"));
}

TEST_F(RegistryStoreTest, RenameMovesEverything) {
  NewVersion("old");
  ASSERT_OK(store_->SetRegisteredModelTag("old", {"k", "v"}, {}));
  ASSERT_OK(store_->SetModelVersionTag("old", "1", {"vk", "vv"}, {}));
  ASSERT_OK(store_->SetAlias("old", "prod", "1", {}));
  ASSERT_OK(store_->CreateRegisteredModel("taken", {}, "", {}));
  EXPECT_THAT(store_->RenameRegisteredModel("old", "taken", {}).status(),
              StatusIs(StatusCode::kAlreadyExists,
                       "cannot rename registered model 'old' to 'taken': 'taken' already exists"));
  ASSERT_OK_AND_ASSIGN(RegisteredModel m, store_->RenameRegisteredModel("old", "new", {}));
  EXPECT_EQ(m.name, "new");
  ASSERT_THAT(m.tags, SizeIs(1));
  EXPECT_THAT(m.aliases, ElementsAre(Alias{"prod", "1"}));
  ASSERT_OK_AND_ASSIGN(ModelVersion v, store_->GetModelVersion("new", "1"));
  ASSERT_THAT(v.tags, SizeIs(1));
  EXPECT_THAT(store_->GetRegisteredModel("old").status(), StatusIs(StatusCode::kNotFound));
  EXPECT_EQ(NewVersion("new"), "2");
  EXPECT_THAT(EventTypes(), ::testing::Contains("model_renamed"));
}

TEST_F(RegistryStoreTest, DeleteRegisteredModel) {
  NewVersion("m");
  ASSERT_OK(store_->SetAlias("m", "prod", "1", {}));
  ASSERT_OK(store_->DeleteRegisteredModel("m", {}));
  EXPECT_THAT(store_->GetRegisteredModel("m").status(), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(store_->DeleteRegisteredModel("m", {}),
              StatusIs(StatusCode::kNotFound, "registered model 'm' does not exist"));
  EXPECT_EQ(NewVersion("m"), "1");  // a new model starts again
  EXPECT_EQ(EventTypes().at(2), "model_deleted");
}

TEST_F(RegistryStoreTest, StagesAndArchiveExisting) {
  NewVersion("m");
  NewVersion("m");
  NewVersion("m");
  ASSERT_OK_AND_ASSIGN(ModelVersion v, store_->TransitionStage("m", "1", "production", false, {}));
  EXPECT_EQ(v.current_stage, "Production");
  ASSERT_OK(store_->TransitionStage("m", "2", "PRODUCTION", false, {}));
  ASSERT_OK_AND_ASSIGN(v, store_->GetModelVersion("m", "1"));
  EXPECT_EQ(v.current_stage, "Production");
  ASSERT_OK(store_->TransitionStage("m", "3", "Production", true, {}));
  ASSERT_OK_AND_ASSIGN(v, store_->GetModelVersion("m", "1"));
  EXPECT_EQ(v.current_stage, "Archived");
  ASSERT_OK_AND_ASSIGN(v, store_->GetModelVersion("m", "2"));
  EXPECT_EQ(v.current_stage, "Archived");
  EXPECT_THAT(store_->TransitionStage("m", "1", "prod", false, {}).status(),
              StatusIs(StatusCode::kInvalidArgument,
                       "invalid stage 'prod'; use None, Staging, Production or Archived"));
  ASSERT_OK_AND_ASSIGN(auto latest, store_->GetLatestVersions("m", {}));
  ASSERT_THAT(latest, SizeIs(2));
  EXPECT_EQ(latest[0].version, "3");  // Production
  EXPECT_EQ(latest[1].version, "2");  // Archived
  ASSERT_OK_AND_ASSIGN(latest, store_->GetLatestVersions("m", {"archived"}));
  ASSERT_THAT(latest, SizeIs(1));
  EXPECT_EQ(latest[0].version, "2");
  EXPECT_THAT(store_->GetLatestVersions("nope", {}).status(), StatusIs(StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(auto events, store_->EventsAfter(3));
  ASSERT_THAT(events, SizeIs(5));
  EXPECT_EQ(events[0].stage, "Production");
  EXPECT_EQ(events[2].stage, "Archived");
  EXPECT_EQ(events[4].version, "3");
  ASSERT_OK_AND_ASSIGN(events, store_->EventsAfter(3, 2));
  EXPECT_THAT(events, SizeIs(2));
}

TEST_F(RegistryStoreTest, ResolveEachUriForm) {
  NewVersion("m");
  NewVersion("m");
  ASSERT_OK(store_->TransitionStage("m", "1", "Staging", false, {}));
  ASSERT_OK(store_->SetAlias("m", "champion", "1", {}));
  ASSERT_OK_AND_ASSIGN(ModelVersion v, store_->Resolve("models:/m/2"));
  EXPECT_EQ(v.version, "2");
  ASSERT_OK_AND_ASSIGN(v, store_->Resolve("models:/m@champion"));
  EXPECT_EQ(v.version, "1");
  ASSERT_OK_AND_ASSIGN(v, store_->Resolve("models:/m/staging"));
  EXPECT_EQ(v.version, "1");
  ASSERT_OK_AND_ASSIGN(v, store_->Resolve("models:/m/latest"));
  EXPECT_EQ(v.version, "2");
  EXPECT_THAT(store_->Resolve("models:/m/Production").status(),
              StatusIs(StatusCode::kNotFound,
                       "registered model 'm' has no version in stage "
                       "Production"));
  EXPECT_THAT(store_->Resolve("runs:/x/m").status(), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->Resolve("models:/m").status(),
              StatusIs(StatusCode::kInvalidArgument,
                       "malformed models:/ URI 'models:/m': expected "
                       "models:/<name>/<version|stage|latest> or models:/<name>@<alias>"));
  EXPECT_THAT(store_->Resolve("models:/m/bogus").status(), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->Resolve("models:/m/9").status(), StatusIs(StatusCode::kNotFound));
}

TEST_F(RegistryStoreTest, DownloadUriResolvesRunsSources) {
  tracking::Run run = NewRun();
  ASSERT_OK(store_->CreateModelVersion(
      {.name = "m", .source = "runs:/" + run.info.run_id + "/model", .run_id = run.info.run_id}));
  ASSERT_OK_AND_ASSIGN(std::string uri, store_->GetDownloadUri("m", "1"));
  EXPECT_EQ(uri, run.info.artifact_uri + "/model");
  NewVersion("m");
  ASSERT_OK_AND_ASSIGN(uri, store_->GetDownloadUri("m", "2"));
  EXPECT_EQ(uri, "s3://bucket/model");
}

TEST_F(RegistryStoreTest, PromoteAndRollback) {
  NewVersion("m");
  NewVersion("m");
  ASSERT_OK(store_->SetAlias("m", "staging", "2", {}));
  ASSERT_OK(store_->SetAlias("m", "prod", "1", {}));
  EXPECT_THAT(store_->Rollback("m", "prod", {}).status(),
              StatusIs(StatusCode::kFailedPrecondition,
                       "alias 'prod' of registered model 'm' has no earlier version to roll back "
                       "to"));
  ASSERT_OK_AND_ASSIGN(ModelVersion v, store_->Promote("m", "staging", "prod", {.actor = "ana"}));
  EXPECT_EQ(v.version, "2");
  EXPECT_THAT(store_->Promote("m", "nope", "prod", {}).status(),
              StatusIs(StatusCode::kInvalidArgument, "registered model 'm' has no alias 'nope'"));
  ASSERT_OK_AND_ASSIGN(v, store_->Rollback("m", "prod", {.actor = "bob", .reason = "bad"}));
  EXPECT_EQ(v.version, "1");
  ASSERT_OK_AND_ASSIGN(v, store_->GetModelVersionByAlias("m", "prod"));
  EXPECT_EQ(v.version, "1");
  ASSERT_OK_AND_ASSIGN(auto history, store_->History("m"));
  const AuditEntry& last = history.back();
  EXPECT_EQ(last.action, "rollback");
  EXPECT_EQ(last.actor, "bob");
  EXPECT_EQ(last.reason, "bad");
  EXPECT_EQ(last.before, R"({"alias":"prod","version":"2"})");
  EXPECT_EQ(last.after, R"({"alias":"prod","version":"1"})");
  // A second rollback undoes the first.
  ASSERT_OK_AND_ASSIGN(v, store_->Rollback("m", "prod", {}));
  EXPECT_EQ(v.version, "2");
}

TEST_F(RegistryStoreTest, HistoryAndRollbackFollowARename) {
  NewVersion("m");
  NewVersion("m");
  ASSERT_OK(store_->SetAlias("m", "prod", "1", {}));
  ASSERT_OK(store_->SetAlias("m", "prod", "2", {}));
  ASSERT_OK(store_->RenameRegisteredModel("m", "n", {}));
  EXPECT_GT(Actions("n").size(), 4u);
  ASSERT_OK_AND_ASSIGN(ModelVersion v, store_->Rollback("n", "prod", {}));
  EXPECT_EQ(v.version, "1");
  // A new model under the old name starts with its own history only.
  ASSERT_OK(store_->CreateRegisteredModel("m", {}, "", {}));
  EXPECT_THAT(Actions("m"), ::testing::ElementsAre("create_registered_model"));
  // A deleted model's history stays readable by its name.
  ASSERT_OK(store_->DeleteRegisteredModel("n", {}));
  EXPECT_EQ(Actions("n").back(), "delete_registered_model");
}

TEST_F(RegistryStoreTest, LocalSourcesNeedARunAndLatestIsReservedInAnyCase) {
  for (const char* source : {"/etc/passwd", "file:///etc/passwd", "relative/model"}) {
    EXPECT_THAT(store_->CreateModelVersion({.name = "m", .source = source}).status(),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("a local path is accepted only "
                                                                 "with a run_id")))
        << source;
  }
  EXPECT_THAT(store_->GetRegisteredModel("m").status(), StatusIs(StatusCode::kNotFound));
  EXPECT_TRUE(IsReservedAlias("LATEST"));
  EXPECT_TRUE(IsReservedAlias("V12"));
  EXPECT_FALSE(IsReservedAlias("v1x"));
  EXPECT_FALSE(IsReservedAlias("lately"));
}

TEST_F(RegistryStoreTest, SearchRegisteredModels) {
  for (const char* name : {"alpha", "beta", "gamma", "delta"}) {
    ASSERT_OK(store_->CreateRegisteredModel(name, {}, "", {}));
    clock_.AdvanceMillis(1);
  }
  ASSERT_OK(store_->SetRegisteredModelTag("beta", {"mlflow.prompt.is_prompt", "true"}, {}));
  ASSERT_OK(store_->SetRegisteredModelTag("gamma", {"team", "ML"}, {}));
  auto names = [&](const SearchRequest& r) {
    auto page = store_->SearchRegisteredModels(r);
    EXPECT_OK(page);
    std::vector<std::string> out;
    if (page.ok()) {
      for (const auto& m : page->items) out.push_back(m.name);
    }
    return out;
  };
  EXPECT_THAT(names({}), ElementsAre("alpha", "beta", "delta", "gamma"));
  EXPECT_THAT(names({.filter = "tags.`mlflow.prompt.is_prompt` != 'true'"}),
              ElementsAre("alpha", "delta", "gamma"));
  EXPECT_THAT(names({.filter = "name LIKE '%a' and tags.`mlflow.prompt.is_prompt` != 'true'"}),
              ElementsAre("alpha", "delta", "gamma"));
  EXPECT_THAT(names({.filter = "name = 'beta'"}), ElementsAre("beta"));
  EXPECT_THAT(names({.filter = "tags.team ILIKE 'ml'"}), ElementsAre("gamma"));
  EXPECT_THAT(names({.filter = "tags.team LIKE 'ml'"}), ElementsAre());
  EXPECT_THAT(names({.order_by = {"creation_timestamp DESC"}}),
              ElementsAre("delta", "gamma", "beta", "alpha"));
  EXPECT_THAT(names({.order_by = {"timestamp"}}), ElementsAre("alpha", "beta", "gamma", "delta"));

  SearchRequest paged{.max_results = 3};
  ASSERT_OK_AND_ASSIGN(auto page, store_->SearchRegisteredModels(paged));
  ASSERT_THAT(page.items, SizeIs(3));
  ASSERT_FALSE(page.next_page_token.empty());
  paged.page_token = page.next_page_token;
  ASSERT_OK_AND_ASSIGN(page, store_->SearchRegisteredModels(paged));
  ASSERT_THAT(page.items, SizeIs(1));
  EXPECT_EQ(page.items[0].name, "gamma");
  EXPECT_TRUE(page.next_page_token.empty());

  EXPECT_THAT(store_->SearchRegisteredModels({.max_results = 1001}).status(),
              StatusIs(StatusCode::kInvalidArgument,
                       "max_results must be between 1 and 1000 for registered models; got 1001"));
  EXPECT_THAT(store_->SearchRegisteredModels({.page_token = "!!"}).status(),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->SearchRegisteredModels({.filter = "run_id = 'x'"}).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("unknown key 'run_id'")));
  EXPECT_THAT(
      store_->SearchRegisteredModels({.filter = "name > 'x'"}).status(),
      StatusIs(StatusCode::kInvalidArgument, HasSubstr("operator '>' is not allowed on 'name'")));
  EXPECT_THAT(store_->SearchRegisteredModels({.filter = "name = 'x' or name = 'y'"}).status(),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("expected AND or the end after a clause, got 'or'")));
  EXPECT_THAT(store_->SearchRegisteredModels({.order_by = {"version_number"}}).status(),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("invalid order_by 'version_number' for registered models: "
                                 "unknown key 'version_number'")));
}

TEST_F(RegistryStoreTest, SearchModelVersions) {
  tracking::Run run = NewRun();
  for (int i = 0; i < 3; ++i) NewVersion("a");
  ASSERT_OK(store_->CreateModelVersion(
      {.name = "b", .source = "runs:/" + run.info.run_id + "/m", .run_id = run.info.run_id}));
  ASSERT_OK(store_->SetModelVersionTag("a", "2", {"k", "v"}, {}));
  auto ids = [&](const SearchRequest& r) {
    auto page = store_->SearchModelVersions(r);
    EXPECT_OK(page);
    std::vector<std::string> out;
    if (page.ok()) {
      for (const auto& v : page->items) out.push_back(v.name + "/" + v.version);
    }
    return out;
  };
  EXPECT_THAT(ids({}), ElementsAre("a/3", "a/2", "a/1", "b/1"));
  EXPECT_THAT(ids({.filter = "name = 'a' AND version_number >= 2"}), ElementsAre("a/3", "a/2"));
  EXPECT_THAT(ids({.filter = "run_id IN ('" + run.info.run_id + "', 'zzz')"}), ElementsAre("b/1"));
  EXPECT_THAT(ids({.filter = "source_path LIKE 's3://%'"}), ElementsAre("a/3", "a/2", "a/1"));
  EXPECT_THAT(ids({.filter = "tags.k = 'v'"}), ElementsAre("a/2"));
  EXPECT_THAT(ids({.order_by = {"version_number ASC", "name DESC"}}),
              ElementsAre("b/1", "a/1", "a/2", "a/3"));
  std::vector<std::string> all;
  SearchRequest paged{.max_results = 1};
  do {
    ASSERT_OK_AND_ASSIGN(auto page, store_->SearchModelVersions(paged));
    for (const auto& v : page.items) all.push_back(v.name + "/" + v.version);
    paged.page_token = page.next_page_token;
  } while (!paged.page_token.empty());
  EXPECT_EQ(all, ids({}));
  EXPECT_THAT(
      store_->SearchModelVersions({.filter = "version_number = 'x'"}).status(),
      StatusIs(StatusCode::kInvalidArgument, HasSubstr("'x' is not an integer version_number")));
  EXPECT_THAT(store_->SearchModelVersions({.filter = "name LIKE"}).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("a value is missing after 'LIKE'")));
  EXPECT_THAT(store_->SearchModelVersions({.order_by = {"name", "name DESC"}}).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("ordered by twice")));
  EXPECT_THAT(store_->SearchModelVersions({.max_results = 200001}).status(),
              StatusIs(StatusCode::kInvalidArgument));
}

// Two processes move the same alias many times at once: every move succeeds and the audit log
// is a chain in which each entry starts where the previous one ended.
TEST_F(RegistryStoreTest, ConcurrentAliasMovesFromTwoProcesses) {
  NewVersion("m");
  NewVersion("m");
  constexpr int kMoves = 40;
  pid_t child = fork();
  ASSERT_NE(child, -1);
  if (child == 0) {
    int code = 0;
    {
      auto db = storage::OpenSqliteDatabase(dir_ / "sluice.db");
      if (!db.ok()) _exit(10);
      auto tracking = tracking::TrackingStore::Open(**db, clock_);
      if (!tracking.ok()) _exit(11);
      auto store = RegistryStore::Open(**db, **tracking, clock_);
      if (!store.ok()) _exit(12);
      for (int i = 0; i < kMoves && code == 0; ++i) {
        if (!(*store)->SetAlias("m", "prod", i % 2 == 0 ? "1" : "2", {.actor = "child"}).ok()) {
          code = 13;
        }
      }
    }
    _exit(code);
  }
  for (int i = 0; i < kMoves; ++i) {
    EXPECT_OK(store_->SetAlias("m", "prod", i % 2 == 0 ? "2" : "1", {.actor = "parent"}));
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  ASSERT_OK_AND_ASSIGN(auto history, store_->History("m", 100000));
  std::vector<AuditEntry> moves;
  for (const AuditEntry& e : history) {
    if (e.action == "set_alias") moves.push_back(e);
  }
  ASSERT_THAT(moves, SizeIs(2 * kMoves));
  EXPECT_EQ(moves[0].before, "");
  for (size_t i = 1; i < moves.size(); ++i) {
    EXPECT_EQ(moves[i].before, moves[i - 1].after) << "entry " << i;
  }
  ASSERT_OK_AND_ASSIGN(ModelVersion v, store_->GetModelVersionByAlias("m", "prod"));
  EXPECT_EQ(moves.back().after, R"({"alias":"prod","version":")" + v.version + "\"}");
}

}  // namespace
}  // namespace sluice::registry
