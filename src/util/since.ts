const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `2h`, `7d`, `30m`, or a date: the earliest time it names (ms), or undefined when it names none. */
export function sinceTime(value: string, now = Date.now()): number | undefined {
  const relative = /^(\d+)([mhd])$/.exec(value.trim());
  if (relative) return now - Number(relative[1]) * UNITS[relative[2]!]!;
  const absolute = Date.parse(value);
  return Number.isNaN(absolute) ? undefined : absolute;
}
