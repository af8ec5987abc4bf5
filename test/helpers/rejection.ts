/** What a promise rejected with, as the core's error shape; fails the test if it resolved. */
export async function rejectionOf(p: Promise<unknown>): Promise<{ code: string; message: string; field?: string | null }> {
  try {
    await p;
  } catch (err) {
    return err as { code: string; message: string; field?: string | null };
  }
  throw new Error('expected a rejection');
}
