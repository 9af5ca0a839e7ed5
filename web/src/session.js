// Who is signed in (GET /api/v1/me), shared by every page.
import { get, post, del, ApiError } from './api.js';
import { signal } from './state.js';

export const me = signal(undefined); // undefined: not asked yet; null: signed out

export async function loadMe() {
  try {
    me.value = await get('/api/v1/me');
  } catch (e) {
    if (e instanceof ApiError && (e.status === 401 || e.code === 'password_change_required')) me.value = null;
    else throw e;
  }
  return me.value;
}

export async function signIn(username, password) {
  const r = await post('/api/v1/sessions', { username, password });
  me.value = r.user;
  return r;
}

export async function signOut() {
  try {
    await del('/api/v1/sessions/current');
  } finally {
    me.value = null;
  }
}

export const isStaff = (u) => u && (u.role === 'admin' || u.role === 'reviewer');
export const canUpload = (u) => u && (u.role === 'admin' || u.role === 'designer');
