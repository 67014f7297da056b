/** The few building blocks every page is made of, styled once: one primitive a file. */
export * from './AdminsOnly';
export * from './Badge';
export * from './Button';
export * from './Card';
export * from './ConfirmButton';
export * from './CopyButton';
export * from './cx';
export * from './DataTable';
export * from './EmptyState';
export * from './Field';
export * from './Fieldset';
export * from './Notice';
export * from './PageHeader';
export * from './QueryState';
export * from './Spinner';
export * from './TextField';
