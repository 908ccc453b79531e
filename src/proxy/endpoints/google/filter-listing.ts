/**
 * A Gemini model listing (`{ models: [{ name: "models/gemini-2.5-flash", … }],
 * nextPageToken }`) with only the models `allowed` says; the page token is kept, so
 * paging goes on through the filtered pages.
 */
export function filterGeminiListing(
  listing: Record<string, unknown>,
  allowed: (model: string) => boolean,
): unknown {
  const models = Array.isArray(listing.models) ? listing.models : [];
  const kept = models.filter((m: unknown) => {
    const name = (m as { name?: unknown } | null)?.name;
    return typeof name === 'string' && name.startsWith('models/') && allowed(name.slice('models/'.length));
  });
  return { ...listing, models: kept };
}
