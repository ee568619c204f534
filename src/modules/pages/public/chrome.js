// Pages with no script of their own still get the header (links for the reader's role, sign-out, language switch).
import '/static/common.js';
