// provportal upload-docs: clinical documents for an existing order, streamed from disk (PDF,
// TIFF, JPEG or PNG by content), one or more files from the command line, or a manifest batch.
#include <memory>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "batch_cmd.hpp"
#include "commands.hpp"
#include "portal/ops/fields.hpp"
#include "portal/ops/prior_auth.hpp"

namespace portal::cli {

namespace json = boost::json;

namespace {

struct UploadOptions {
  std::vector<std::string> positional;  // ORDER_ID FILE...
  std::string document_type, description, ref;
  BatchFlags batch;
};

Expected<void> run_single_upload(const UploadOptions& opt, Context& ctx) {
  if (opt.positional.size() < 2) {
    return fail(
        ErrorKind::usage, "upload-docs needs an order ID and at least one file",
        "provportal upload-docs ORDER_ID FILE... --document-type TYPE, or --batch manifest.csv");
  }
  if (opt.document_type.empty()) {
    return fail(
        ErrorKind::usage, "--document-type is required",
        "one of clinical_notes, imaging_report, lab_result, letter_of_medical_necessity, other");
  }
  std::vector<json::object> records;
  std::vector<std::string> labels;
  for (std::size_t i = 1; i < opt.positional.size(); ++i) {
    json::object r{{"order_id", opt.positional[0]},
                   {"file", opt.positional[i]},
                   {"document_type", opt.document_type}};
    if (!opt.description.empty()) r["description"] = opt.description;
    if (!opt.ref.empty())
      r["ref"] = opt.positional.size() > 2 ? opt.ref + "-" + std::to_string(i) : opt.ref;
    records.push_back(std::move(r));
    labels.push_back(opt.positional[i]);
  }
  auto op = ctx.over_chosen_wire(
      [&](auto wire) { return ops::document_operation(wire, {}, portal_limits(ctx, false)); });
  if (!op) return fail(op.error());
  auto results = run_records(ctx, *op, std::move(records), labels, &opt.batch);
  if (!results) return fail(results.error());
  json::array uploaded;
  std::optional<Error> first_problem;
  for (std::size_t i = 0; i < results->size(); ++i) {
    const auto& r = (*results)[i];
    if (r.outcome == "ok") {
      uploaded.push_back(r.answer);
      continue;
    }
    if (first_problem) continue;
    ErrorKind kind = r.outcome == "rejected"  ? ErrorKind::refused
                     : r.outcome == "invalid" ? ErrorKind::input
                                              : ErrorKind::unavailable;
    Error e(kind, labels[i] + ": " + (r.message.empty() ? "not uploaded" : r.message));
    e.code = r.code;
    e.http_status = r.http_status;
    if (r.code == "not_found") {
      e.hint = "check the order ID (provportal search-orders lists your organisation's orders)";
    } else if (r.code == "unsupported_media_type") {
      e.hint = "the portal accepts PDF, TIFF, JPEG or PNG, checked by content";
    } else if (r.outcome == "failed") {
      e.hint = "run the same command again: a file the portal already holds is not stored twice";
    }
    first_problem = std::move(e);
  }
  if (!uploaded.empty())
    ctx.print(uploaded.size() == 1 ? json::value(uploaded.front()) : json::value(uploaded));
  if (first_problem) return fail(std::move(*first_problem));
  return {};
}

Expected<void> run_upload(const UploadOptions& opt, Context& ctx) {
  if (!opt.batch.file.empty()) {
    if (!opt.positional.empty() || !opt.document_type.empty() || !opt.description.empty() ||
        !opt.ref.empty()) {
      return fail(
          ErrorKind::usage, "--batch and an order's files on the command line cannot be combined",
          "put every document in the manifest (ref, order_id, file, document_type, description)");
    }
    auto op = ctx.over_chosen_wire([&](auto wire) {
      return ops::document_operation(wire, batch_base_dir(opt.batch.file),
                                     portal_limits(ctx, opt.batch.dry_run));
    });
    if (!op) return fail(op.error());
    return run_batch_command(ctx, *op, opt.batch);
  }
  return run_single_upload(opt, ctx);
}

}  // namespace

void setup_upload_docs(CLI::App& app, Context& ctx) {
  auto opt = std::make_shared<UploadOptions>();
  auto* cmd = app.add_subcommand(
      "upload-docs", "Upload clinical documents to an order (files, or a manifest batch)");
  cmd->add_option("order_and_files", opt->positional, "ORDER_ID then one or more files")
      ->type_name("ORDER_ID FILE...");
  with_choices(
      cmd->add_option("--document-type", opt->document_type, "What the files are")
          ->type_name("TYPE"),
      {"clinical_notes", "imaging_report", "lab_result", "letter_of_medical_necessity", "other"});
  cmd->add_option("--description", opt->description,
                  "A short description for the reviewer (at most 255 characters)")
      ->type_name("TEXT");
  cmd->add_option("--ref", opt->ref,
                  "Your reference, echoed in the result (and the idempotency key)")
      ->type_name("REF");
  add_batch_flags(*cmd, opt->batch);
  cmd->footer(
      "Examples:\n"
      "  provportal upload-docs ORD-12345678 notes.pdf mri-report.pdf --document-type "
      "clinical_notes\n"
      "  provportal upload-docs ORD-12345678 scan.png --document-type imaging_report --description "
      "\"MRI 2026-05-20\"\n"
      "  provportal upload-docs --batch manifest.csv --results uploaded.csv\n\n"
      "The manifest's columns are the fields of schemas/document.schema.json: ref, order_id, "
      "file,\n"
      "document_type, description; its paths are relative to the manifest's directory. Files are\n"
      "streamed from disk (any size up to the portal's limit, in flat memory) with their SHA-256;\n"
      "the type is checked by content before sending (PDF, TIFF, JPEG or PNG; a text file named\n"
      ".pdf is refused), symbolic links are refused, and only the file's own name is sent. A file\n"
      "the order already holds is not stored twice.\n"
      "Exit 0 when every file was uploaded, 3 when a file cannot be used (nothing was sent), 6 "
      "when\n"
      "the portal refused one (unknown order, type, size).");
  cmd->callback([opt, &ctx] {
    ctx.declare_fields(
        printed_fields(opt->batch, ops::document_fields(), ops::document_result_columns()));
    ctx.action = [opt, &ctx] { return run_upload(*opt, ctx); };
  });
}

}  // namespace portal::cli
