/** `1 item`, `2 items`, `0 categories`: a count and its noun, for everything the CLI prints (issue 11 §10). */
export function counted(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`
}
