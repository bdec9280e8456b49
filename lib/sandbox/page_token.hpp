// Opaque page tokens for the portal's paged searches (orders, the claims change feed): the
// position of the last item answered and whatever else the next page must keep (the search's
// fingerprint, the pinned `as_of`), signed so that a client can neither forge nor edit one.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace portal::sandbox {

// `fields` (none may hold a ',') as a token signed with `key` (HMAC-SHA256).
std::string seal_page_token(std::string_view key, const std::vector<std::string>& fields);

// The fields of a token seal_page_token() made with `key`; nullopt for anything else.
std::optional<std::vector<std::string>> open_page_token(std::string_view key,
                                                        std::string_view token);

}  // namespace portal::sandbox
