// The one thing the worker reads inside a STUN message (RFC 8489): the local
// ufrag of a Binding Request's USERNAME ("<our ufrag>:<theirs>", RFC 8445
// §7.2.2), so that checks for no live session are dropped before the punt.
// Nothing is verified here (the slow path checks MESSAGE-INTEGRITY). Pure.
#pragma once

#include <cstdint>
#include <span>

namespace edgesfu::dp::pkt {

// The bytes of the USERNAME before its ':' when `p` is a well-formed STUN
// Binding Request (type 0x0001, magic cookie, length within the datagram,
// attributes inside it); an empty span otherwise or when there is no USERNAME.
std::span<const uint8_t> binding_request_local_ufrag(std::span<const uint8_t> p);

}  // namespace edgesfu::dp::pkt
