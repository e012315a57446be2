/**
 * @module capture/link-types
 * LINKTYPE_* values (tcpdump.org/linktypes.html) that tcpwin decodes, with their names as
 * libpcap spells them (DLT_ names without the prefix).
 */

export const LinkType = {
  NULL: 0,
  ETHERNET: 1,
  /** DLT_RAW on some BSDs / OpenBSD numbering; both mean "raw IP, version in the first nibble". */
  RAW_12: 12,
  RAW_14: 14,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

const NAMES: Record<number, string> = {
  0: "NULL",
  1: "EN10MB",
  6: "IEEE802",
  9: "PPP",
  12: "RAW",
  14: "RAW",
  101: "RAW",
  105: "IEEE802_11",
  108: "LOOP",
  113: "LINUX_SLL",
  127: "IEEE802_11_RADIO",
  147: "USER0",
  228: "IPV4",
  229: "IPV6",
  276: "LINUX_SLL2",
};

export function linkTypeName(lt: number): string {
  return NAMES[lt] ?? "unknown";
}

export function isDecodableLinkType(lt: number): boolean {
  switch (lt) {
    case LinkType.NULL:
    case LinkType.ETHERNET:
    case LinkType.RAW_12:
    case LinkType.RAW_14:
    case LinkType.RAW:
    case LinkType.LOOP:
    case LinkType.LINUX_SLL:
    case LinkType.IPV4:
    case LinkType.IPV6:
    case LinkType.LINUX_SLL2:
      return true;
    default:
      return false;
  }
}
