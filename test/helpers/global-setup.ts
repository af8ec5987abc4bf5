// Placeholder replaced by the database bootstrap (template database or PGlite fallback).
export default async function setup(): Promise<void> {}
