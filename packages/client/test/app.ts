export { startTestApp as startApp } from '@switchboard/server/testing';
