/**
 * Shows a fetched document. The tab is opened before the fetch (while the click still counts as a
 * user gesture, so popup blockers let it through) and pointed at the blob once it arrives; without a
 * tab the file is saved instead.
 */
export async function openBlobInNewTab(load: () => Promise<Blob>, filename: string): Promise<void> {
  const tab = window.open('', '_blank');
  let blob: Blob;
  try {
    blob = await load();
  } catch (error) {
    tab?.close();
    throw error;
  }
  const url = URL.createObjectURL(blob);
  if (tab && !tab.closed) {
    tab.location.href = url;
  } else {
    const link = document.createElement('a');
    link.href = url;
    link.download = filename;
    document.body.appendChild(link);
    link.click();
    link.remove();
  }
  // The tab has loaded the document by then; the URL only holds memory.
  window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
